// Temporary and final output paths; publishing by rename so readers never see a partial file.
#include "dumpmill/cli/output_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "dumpmill/core/error.hpp"

namespace dumpmill::cli {
namespace fs = std::filesystem;

namespace {

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void rename_into_place(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0)
    throw OutputError(to + ": cannot publish (rename from " + from + "): " + std::strerror(errno));
  fsync_path(fs::path(to).parent_path().string());
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw OutputError(tmp + ": cannot create: " + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() &&
                    std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    const int err = errno;
    if (std::fclose(f) != 0 || !ok) {
      std::remove(tmp.c_str());
      throw OutputError(tmp + ": write failed: " + std::strerror(ok ? errno : err));
    }
  }
  rename_into_place(tmp, path);
}

OutputFiles::OutputFiles(const JobConfig& job, std::string tag)
    : dir_(job.output_dir), tag_(std::move(tag)), job_(job) {}

std::string OutputFiles::path(const std::string& name) const {
  return (fs::path(dir_) / name).string();
}
std::string OutputFiles::staged(const std::string& name) const {
  return path("." + name + ".staged-" + tag_);
}
std::string OutputFiles::hdf5_staged() const { return staged(job_.hdf5_name); }
std::string OutputFiles::hdf5_final() const { return path(job_.hdf5_name); }
std::string OutputFiles::sqlite_staged() const {
  return job_.sqlite_name.empty() ? std::string() : staged(job_.sqlite_name);
}
std::string OutputFiles::sqlite_final() const {
  return job_.sqlite_name.empty() ? std::string() : path(job_.sqlite_name);
}
std::string OutputFiles::sql_script_final() const {
  if (job_.sql_script.empty()) return {};
  return job_.sql_script.find('/') == std::string::npos ? path(job_.sql_script) : job_.sql_script;
}
std::string OutputFiles::sql_script_staged() const {
  if (job_.sql_script.empty()) return {};
  // Beside the final file: rename() works only within one file system.
  const fs::path final_path(sql_script_final());
  return (final_path.parent_path() / ("." + final_path.filename().string() + ".staged-" + tag_))
      .string();
}
std::string OutputFiles::rejects_part(int rank) const {
  return path("." + job_.rejects_name + ".tmp-" + tag_ + ".rank" + std::to_string(rank));
}
std::string OutputFiles::rejects_staged() const { return staged(job_.rejects_name); }
std::string OutputFiles::rejects_final() const { return path(job_.rejects_name); }
std::string OutputFiles::report_final() const { return path(job_.report_name); }

void OutputFiles::remove_staged() const noexcept {
  for (const std::string& p :
       {hdf5_staged(), sqlite_staged(), sql_script_staged(), rejects_staged()})
    if (!p.empty()) std::remove(p.c_str());
}

void OutputFiles::publish(const std::string& report_json) const {
  rename_into_place(hdf5_staged(), hdf5_final());
  if (!job_.sqlite_name.empty()) rename_into_place(sqlite_staged(), sqlite_final());
  if (!job_.sql_script.empty()) rename_into_place(sql_script_staged(), sql_script_final());
  rename_into_place(rejects_staged(), rejects_final());
  write_file_atomically(report_final(), report_json);
}

void OutputFiles::stage_rejects(int ranks) const {
  const std::string tmp = rejects_staged();
  try {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw OutputError(tmp + ": cannot create: " + std::strerror(errno));
    std::vector<char> buf(1 << 20);
    for (int r = 0; r < ranks; ++r) {
      std::ifstream in(rejects_part(r), std::ios::binary);
      if (!in)
        throw OutputError(rejects_part(r) + ": missing reject part of rank " + std::to_string(r));
      std::string header;
      std::getline(in, header);
      if (r == 0) out << header << '\n';
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        out.write(buf.data(), in.gcount());
      }
    }
    out.flush();
    if (!out) throw OutputError(tmp + ": write failed (disk full?)");
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  for (int r = 0; r < ranks; ++r) std::remove(rejects_part(r).c_str());
}

}  // namespace dumpmill::cli
