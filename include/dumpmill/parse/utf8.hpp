// Strict UTF-8 validation (Unicode 15, Table 3-7) for parsed fields and reject escaping.
#pragma once

#include <cstddef>
#include <string_view>

namespace dumpmill::parse {

// Length (1-4) of the well-formed UTF-8 sequence starting at s[0], or 0 if s is empty or
// s does not start with one: overlong forms (C0, C1, E0 80..9F, F0 80..8F), surrogates
// (ED A0..BF), code points above U+10FFFF (F4 90.., F5..FF), stray continuation bytes and
// sequences cut short are all rejected.
std::size_t utf8_sequence_length(std::string_view s);

// True if every byte of s belongs to a well-formed UTF-8 sequence. ASCII runs are checked
// eight bytes at a time (Wikipedia titles are mostly ASCII on enwiki).
bool is_valid_utf8(std::string_view s);

}  // namespace dumpmill::parse
