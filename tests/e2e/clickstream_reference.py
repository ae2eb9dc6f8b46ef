"""An independent reference for the clickstream job, written from the documented rules
(include/dumpmill/parse/clickstream.hpp, range_scanner.hpp), sharing no code with dumpmill.
Used by the end-to-end tests to check every figure dumpmill reports."""

import collections
import gzip
import subprocess

TYPES = ("link", "external", "other", "redlink")
HEADER_CURRENT = b"prev\tcurr\ttype\tn"
HEADER_2015 = b"prev_id\tcurr_id\tn\tprev_title\tcurr_title\ttype"
BOM = b"\xef\xbb\xbf"
U64_MAX = 2**64 - 1


def read_decoded(path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:  # handles multi-member files
            return f.read()
    if magic == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    with open(path, "rb") as f:
        return f.read()


def split_lines(data):
    """(offset, line) per record: '\\n' ends a line, a trailing '\\r' is dropped, nothing after a final '\\n'."""
    out = []
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl
        line = data[pos:end]
        if line.endswith(b"\r"):
            line = line[:-1]
        out.append((pos, line))
        pos = end + 1
    return out


def unquote(field):
    n = len(field)
    if n < 2 or field[:1] != b'"':
        return None
    out = bytearray()
    i = 1
    while i < n:
        c = field[i:i + 1]
        if c == b"\\" and i + 1 < n and field[i + 1:i + 2] in (b'"', b"\\"):
            if i + 1 == n - 1:
                return None
            out += field[i + 1:i + 2]
            i += 2
            continue
        if c == b'"':
            return bytes(out) if i == n - 1 else None
        out += c
        i += 1
    return None


def title_problem(raw):
    """Reason a raw title field is bad, or (None, decoded title)."""
    if raw == b"":
        return "empty_title", None
    bad_utf8 = None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        bad_utf8 = e.start
    control = next((i for i, b in enumerate(raw) if b < 0x20 or b == 0x7F), None)
    if control is not None and (bad_utf8 is None or control < bad_utf8):
        return "control_char", None
    if bad_utf8 is not None:
        return "invalid_utf8", None
    if raw[:1] == b'"' and raw.find(b'\\"', 1) >= 0:
        t = unquote(raw)
        if t is None:
            return "bad_quoting", None
        if t == b"":
            return "empty_title", None
        return None, t
    return None, raw


def parse_line(line, legacy):
    """Returns (reason, None) or (None, (prev, curr, type, n))."""
    if line == b"":
        return "empty_line", None
    fields = line.split(b"\t")
    if len(fields) != (6 if legacy else 4):
        return "field_count", None
    if legacy:
        prev_id, curr_id, n, prev, curr, typ = fields
    else:
        prev, curr, typ, n = fields
    allowed = TYPES if legacy else TYPES[:3]
    if typ.decode("latin-1") not in allowed:
        return "bad_type", None
    if not n or not all(48 <= b <= 57 for b in n) or int(n) == 0 or int(n) > U64_MAX:
        return "bad_count", None
    if legacy and not all(all(48 <= b <= 57 for b in x) for x in (prev_id, curr_id)):
        return "bad_id", None
    reason, p = title_problem(prev)
    if reason:
        return reason, None
    reason, c = title_problem(curr)
    if reason:
        return reason, None
    return None, (p, c, TYPES.index(typ.decode()), int(n))


class Reference:
    def __init__(self, paths, max_line=1 << 20):
        self.records_read = 0
        self.valid = 0
        self.headers = 0
        self.rejected = collections.Counter()
        self.reject_lines = []  # (path, offset, reason)
        rows = set()
        for path in paths:
            data = read_decoded(path)
            lines = split_lines(data)
            legacy = False
            if lines:
                first = lines[0][1]
                if first.startswith(BOM):
                    first = first[len(BOM):]
                if first in (HEADER_CURRENT, HEADER_2015):
                    legacy = first == HEADER_2015
                    self.headers += 1
                    lines = lines[1:]
                elif first.count(b"\t") == 5:
                    legacy = True
            for offset, line in lines:
                self.records_read += 1
                if len(line) > max_line:
                    reason, rec = "line_too_long", None
                else:
                    reason, rec = parse_line(line, legacy)
                if reason:
                    self.rejected[reason] += 1
                    self.reject_lines.append((path, offset, reason))
                    continue
                self.valid += 1
                rows.add(rec)
        self.rows_kept = len(rows)
        self.duplicates = self.valid - self.rows_kept
        pairs = collections.defaultdict(int)
        for p, c, t, n in rows:
            pairs[(p, c, t)] += n
        self.pairs = dict(pairs)
        self.sum_n = sum(pairs.values())
        n_in = collections.defaultdict(int)
        n_out = collections.defaultdict(int)
        referrers = collections.defaultdict(set)
        for (p, c, t), n in pairs.items():
            n_in[c] += n
            referrers[c].add(p)
            if not p.startswith(b"other-"):
                n_out[p] += n
        titles = set(n_in) | set(n_out)
        self.articles = {a: (n_in.get(a, 0), n_out.get(a, 0), len(referrers.get(a, ()))) for a in titles}
        self.types = {t: [0, 0] for t in range(4)}
        for (p, c, t), n in pairs.items():
            self.types[t][0] += 1
            self.types[t][1] += n
