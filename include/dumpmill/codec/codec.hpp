// Which compression an input file uses, decided from its first bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dumpmill::codec {

enum class Codec : std::uint8_t { kPlain, kGzip, kZstd };

// "plain", "gzip" or "zstd" (for reports and messages).
std::string_view codec_name(Codec codec);

// Decides the codec from magic bytes: 1f 8b -> kGzip; a zstd frame (28 b5 2f fd) or a zstd
// skippable frame (5? 2a 4d 18) -> kZstd; anything else, an empty file included -> kPlain.
// Throws InputError naming the path when the file is missing or unreadable.
Codec sniff_codec(const std::string& path);

}  // namespace dumpmill::codec
