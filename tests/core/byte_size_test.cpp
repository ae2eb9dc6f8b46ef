// Byte sizes as users type them in job files and flags.
#include "dumpmill/core/byte_size.hpp"

#include <gtest/gtest.h>

#include "dumpmill/core/error.hpp"

namespace dumpmill {
namespace {

TEST(ByteSize, ParsesPlainAndSuffixed) {
  EXPECT_EQ(parse_byte_size("4096", "x"), 4096u);
  EXPECT_EQ(parse_byte_size("64KiB", "x"), 64u * 1024);
  EXPECT_EQ(parse_byte_size("64k", "x"), 64u * 1024);
  EXPECT_EQ(parse_byte_size(" 256 MiB ", "x"), 256u << 20);
  EXPECT_EQ(parse_byte_size("2G", "x"), 2ull << 30);
  EXPECT_EQ(parse_byte_size("1TB", "x"), 1ull << 40);
  EXPECT_EQ(parse_byte_size("7b", "x"), 7u);
}

TEST(ByteSize, RejectsGarbageNamingTheSetting) {
  for (const char* bad :
       {"", "MiB", "12Q", "-5", "1.5G", "99999999999999999999", "16777216T", "4 Mib x"}) {
    try {
      parse_byte_size(bad, "run.range_size");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("run.range_size"), std::string::npos);
      EXPECT_EQ(e.exit_code(), 2);
    }
  }
}

TEST(ByteSize, FormatsForHumans) {
  EXPECT_EQ(format_bytes(17), "17 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3.0 GiB");
}

}  // namespace
}  // namespace dumpmill
