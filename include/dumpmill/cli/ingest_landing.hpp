// The landing directory of `dumpmill ingest`: which files are inputs, their identity and names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dumpmill::cli {

// What stat(2) says about a file. Equal stats mean the content was not rewritten: any write,
// truncation, rename into place or copy changes ctime (which no user tool can set back) or the
// inode, so the ingest reuses the recorded checksum instead of reading the file again.
struct FileStat {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  bool operator==(const FileStat&) const = default;
};

struct LandingFile {
  std::string name;  // file name inside the landing directory: the manifest's key
  std::string path;  // landing directory / name
  FileStat stat;
};

// Regular files directly inside `dir`, sorted by name. Skipped: hidden files (".*": rsync,
// curl and scp-style uploads write under a hidden or temporary name and rename when complete),
// "*.tmp" and "*.part" (unfinished downloads), and "*.dmidx" (dumpmill's own gzip index cache,
// written beside an input). Throws ConfigError if `dir` is not a readable directory.
std::vector<LandingFile> list_landing(const std::string& dir);

// Throws InputError naming the path if it cannot be stat'ed.
FileStat stat_file(const std::string& path);

// XXH3-64 of the whole file as 16 lowercase hex digits, read in 1 MiB blocks. Throws InputError
// naming the path and offset on a read error.
std::string file_checksum(const std::string& path);

// The result name of an input: its file name without a compression suffix (.gz, .zst, .zstd,
// .bz2, .xz) and then without a format suffix (.tsv, .csv, .txt, .jsonl, .json):
// "clickstream-enwiki-2024-11.tsv.gz" -> "clickstream-enwiki-2024-11".
std::string result_stem(std::string_view file_name);

}  // namespace dumpmill::cli
