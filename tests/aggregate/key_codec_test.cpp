// Composite keys: exact round trips, unambiguous concatenation, strict decoding.
#include "dumpmill/aggregate/key_codec.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace dumpmill::aggregate {
namespace {

TEST(KeyCodec, RoundTripsAnyBytes) {
  const std::string nul("a\0b", 3);
  const std::string long200(200, 'x');      // 2-byte varint
  const std::string long20000(20000, 'y');  // 3-byte varint
  KeyBuilder b;
  b.add_string(nul);
  b.add_string("");
  b.add_u8(255);
  b.add_string(long200);
  b.add_u64(0x0102030405060708ull);
  b.add_string(long20000);
  b.add_u64(~std::uint64_t{0});
  EXPECT_EQ(b.view().size(), (1 + 3) + 1 + 1 + (2 + 200) + 8 + (3 + 20000) + 8);

  KeyReader r(b.view());
  EXPECT_EQ(r.string(), nul);
  EXPECT_EQ(r.string(), "");
  EXPECT_EQ(r.u8(), 255);
  EXPECT_EQ(r.string(), long200);
  EXPECT_EQ(r.u64(), 0x0102030405060708ull);
  EXPECT_FALSE(r.done());
  EXPECT_EQ(r.string(), long20000);
  EXPECT_EQ(r.u64(), ~std::uint64_t{0});
  EXPECT_TRUE(r.done());
}

TEST(KeyCodec, FieldBoundariesAreUnambiguous) {
  KeyBuilder a;
  a.add_string("ab");
  a.add_string("c");
  const std::string ka(a.view());
  KeyBuilder b;
  b.add_string("a");
  b.add_string("bc");
  EXPECT_NE(ka, b.view());
  KeyBuilder c;
  c.add_string("ab");
  c.add_string("c");
  EXPECT_EQ(ka, c.view());
}

TEST(KeyCodec, U64IsBigEndianSoBytesSortNumerically) {
  KeyBuilder a;
  a.add_u64(1);
  const std::string one(a.view());
  a.clear();
  a.add_u64(256);
  EXPECT_LT(one, std::string(a.view()));
  EXPECT_EQ(one, std::string("\0\0\0\0\0\0\0\1", 8));
}

TEST(KeyCodec, BuilderReusesItsBuffer) {
  KeyBuilder b;
  b.add_string(std::string(1000, 'z'));
  const char* data = b.view().data();
  for (int i = 0; i < 100; ++i) {
    b.clear();
    b.add_string("short");
    b.add_u8(3);
    ASSERT_EQ(b.view().data(), data);  // no reallocation after warm-up
  }
  EXPECT_EQ(b.view(), std::string_view("\5short\3", 7));
}

TEST(KeyCodec, MalformedKeysThrowOutOfRange) {
  KeyBuilder b;
  b.add_string("hello");
  const std::string key(b.view());
  for (std::size_t cut = 0; cut < key.size(); ++cut) {
    KeyReader r(std::string_view(key).substr(0, cut));
    EXPECT_THROW(r.string(), std::out_of_range) << "cut at " << cut;
  }
  EXPECT_THROW(KeyReader("").u8(), std::out_of_range);
  EXPECT_THROW(KeyReader("1234567").u64(), std::out_of_range);
  const std::string overlong(11, '\x80');  // varint that never ends within 10 bytes
  EXPECT_THROW(KeyReader(overlong).string(), std::out_of_range);
  const std::string huge_len("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
  EXPECT_THROW(KeyReader(huge_len).string(), std::out_of_range);
}

}  // namespace
}  // namespace dumpmill::aggregate
