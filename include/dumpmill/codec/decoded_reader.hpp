// The one interface between the codec stage and the parse stage: a pull stream of decoded bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dumpmill::codec {

// A forward-only stream of decoded (uncompressed) bytes of one input file, starting at
// some decoded offset. Implementations own bounded buffers; none holds the whole file.
// One virtual call per buffer refill, never per record.
class DecodedReader {
 public:
  virtual ~DecodedReader() = default;
  DecodedReader() = default;
  DecodedReader(const DecodedReader&) = delete;
  DecodedReader& operator=(const DecodedReader&) = delete;

  // Copies up to `capacity` decoded bytes into `dst`. Returns the number copied;
  // 0 only at the end of the decoded stream. Throws dumpmill::InputError (naming the
  // file and the compressed byte offset) on a corrupt or truncated stream.
  virtual std::size_t read(char* dst, std::size_t capacity) = 0;

  // Decoded offset of the next byte read() will return.
  virtual std::uint64_t position() const = 0;
};

}  // namespace dumpmill::codec
