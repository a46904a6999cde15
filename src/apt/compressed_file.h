#pragma once

// Reads files that apt may keep compressed. With Acquire::GzipIndexes set,
// apt keeps its lists compressed (.lz4, .gz or .xz), and .deb files carry
// gzip-compressed changelogs. Reading streams, so that a large index never
// sits in memory whole.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::apt {

enum class Compression { kNone, kGzip, kLz4, kXz };

// Returns the compression that apt's naming gives `path`: ".gz", ".lz4" and
// ".xz" by extension, kNone for anything else.
Compression compressionOf(const std::filesystem::path& path);

// Calls `on_chunk` with the decompressed content of `path`, in order, in
// chunks of unspecified size. Fails with kNotFound or kIoError when the file
// cannot be read, and kMalformedInput when its compressed data is corrupt or
// truncated. The message names the file and tells the reader to run
// apt-get update.
Result<void> readDecompressed(const std::filesystem::path& path, Compression compression,
                              const std::function<void(std::string_view)>& on_chunk);

// Decompresses a gzip stream held in memory (concatenated members are
// joined, as gzip -d does). Fails with kMalformedInput on corrupt data or
// when the result would exceed `max_output_bytes`.
Result<std::string> gunzip(std::string_view compressed, std::size_t max_output_bytes);

}  // namespace pk::apt
