#include "apt/compressed_file.h"

#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace pk::apt {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

Error corruptError(const std::filesystem::path& path, std::string_view detail) {
  return Error{ErrorCode::kMalformedInput,
               "cannot decompress " + path.string() + ": " + std::string(detail) +
                   "; the file is damaged, run apt-get update to fetch it again"};
}

// Reads the whole file in chunks and passes each to `step`, stopping at the
// first error that `step` returns.
Result<void> pumpFile(const std::filesystem::path& path,
                      const std::function<Result<void>(std::string_view input)>& step) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int error = errno;
    return pk::fail(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIoError,
                    "cannot open " + path.string() + ": " + std::strerror(error));
  }
  std::vector<char> buffer(kChunkBytes);
  while (true) {
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got > 0) {
      auto stepped = step(std::string_view(buffer.data(), got));
      if (!stepped) return stepped;
    }
    if (got < buffer.size()) {
      if (std::ferror(file.get()) != 0) {
        return pk::fail(ErrorCode::kIoError, "cannot read " + path.string());
      }
      return {};
    }
  }
}

Result<void> readPlain(const std::filesystem::path& path,
                       const std::function<void(std::string_view)>& on_chunk) {
  return pumpFile(path, [&](std::string_view input) -> Result<void> {
    on_chunk(input);
    return {};
  });
}

Result<void> readGzip(const std::filesystem::path& path,
                      const std::function<void(std::string_view)>& on_chunk) {
  z_stream stream{};
  // 16 + MAX_WBITS selects the gzip wrapper.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return pk::fail(ErrorCode::kInternal, "zlib could not start a gzip decoder");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  std::vector<char> output(kChunkBytes);
  bool stream_ended = false;

  auto pumped = pumpFile(path, [&](std::string_view input) -> Result<void> {
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    while (stream.avail_in > 0) {
      // A new gzip member may follow the end of the previous one.
      if (stream_ended) {
        inflateReset(&stream);
        stream_ended = false;
      }
      stream.next_out = reinterpret_cast<Bytef*>(output.data());
      stream.avail_out = static_cast<uInt>(output.size());
      const int status = inflate(&stream, Z_NO_FLUSH);
      if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
        return tl::unexpected(corruptError(path, stream.msg != nullptr ? stream.msg : "bad data"));
      }
      on_chunk(std::string_view(output.data(), output.size() - stream.avail_out));
      if (status == Z_STREAM_END) stream_ended = true;
      if (status == Z_BUF_ERROR && stream.avail_out != 0) break;
    }
    return {};
  });
  if (!pumped) return pumped;
  if (!stream_ended) return tl::unexpected(corruptError(path, "gzip stream is truncated"));
  return {};
}

Result<void> readLz4(const std::filesystem::path& path,
                     const std::function<void(std::string_view)>& on_chunk) {
  LZ4F_dctx* context = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&context, LZ4F_VERSION))) {
    return pk::fail(ErrorCode::kInternal, "liblz4 could not start a frame decoder");
  }
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> guard(context,
                                                                     LZ4F_freeDecompressionContext);
  std::vector<char> output(kChunkBytes);
  // LZ4F_decompress returns 0 once a frame is complete.
  std::size_t hint = 1;

  auto pumped = pumpFile(path, [&](std::string_view input) -> Result<void> {
    const char* next = input.data();
    std::size_t left = input.size();
    while (left > 0) {
      std::size_t consumed = left;
      std::size_t produced = output.size();
      hint = LZ4F_decompress(context, output.data(), &produced, next, &consumed, nullptr);
      if (LZ4F_isError(hint)) return tl::unexpected(corruptError(path, LZ4F_getErrorName(hint)));
      on_chunk(std::string_view(output.data(), produced));
      next += consumed;
      left -= consumed;
      if (consumed == 0 && produced == 0) break;
    }
    // Drain output that the decoder still holds for this input.
    while (true) {
      std::size_t consumed = 0;
      std::size_t produced = output.size();
      // Without input the return value is no hint about the frame's end,
      // so it must not replace `hint`.
      const std::size_t status =
          LZ4F_decompress(context, output.data(), &produced, nullptr, &consumed, nullptr);
      if (LZ4F_isError(status)) {
        return tl::unexpected(corruptError(path, LZ4F_getErrorName(status)));
      }
      if (produced == 0) break;
      on_chunk(std::string_view(output.data(), produced));
    }
    return {};
  });
  if (!pumped) return pumped;
  if (hint != 0) return tl::unexpected(corruptError(path, "lz4 frame is truncated"));
  return {};
}

Result<void> readXz(const std::filesystem::path& path,
                    const std::function<void(std::string_view)>& on_chunk) {
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
    return pk::fail(ErrorCode::kInternal, "liblzma could not start an xz decoder");
  }
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&stream, lzma_end);
  std::vector<std::uint8_t> output(kChunkBytes);

  auto run = [&](lzma_action action) -> Result<bool> {
    while (true) {
      stream.next_out = output.data();
      stream.avail_out = output.size();
      const lzma_ret status = lzma_code(&stream, action);
      on_chunk(std::string_view(reinterpret_cast<const char*>(output.data()),
                                output.size() - stream.avail_out));
      if (status == LZMA_STREAM_END) return true;
      if (status != LZMA_OK) return tl::unexpected(corruptError(path, "bad xz data"));
      if (stream.avail_in == 0 && stream.avail_out != 0) return false;
    }
  };

  auto pumped = pumpFile(path, [&](std::string_view input) -> Result<void> {
    stream.next_in = reinterpret_cast<const std::uint8_t*>(input.data());
    stream.avail_in = input.size();
    auto ran = run(LZMA_RUN);
    if (!ran) return tl::unexpected(ran.error());
    return {};
  });
  if (!pumped) return pumped;
  // LZMA_CONCATENATED needs LZMA_FINISH to know the input ended.
  auto finished = run(LZMA_FINISH);
  if (!finished) return tl::unexpected(finished.error());
  if (!*finished) return tl::unexpected(corruptError(path, "xz stream is truncated"));
  return {};
}

}  // namespace

Compression compressionOf(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".gz") return Compression::kGzip;
  if (extension == ".lz4") return Compression::kLz4;
  if (extension == ".xz") return Compression::kXz;
  return Compression::kNone;
}

Result<void> readDecompressed(const std::filesystem::path& path, Compression compression,
                              const std::function<void(std::string_view)>& on_chunk) {
  switch (compression) {
    case Compression::kNone:
      return readPlain(path, on_chunk);
    case Compression::kGzip:
      return readGzip(path, on_chunk);
    case Compression::kLz4:
      return readLz4(path, on_chunk);
    case Compression::kXz:
      return readXz(path, on_chunk);
  }
  return pk::fail(ErrorCode::kInternal, "unknown compression for " + path.string());
}

Result<std::string> gunzip(std::string_view compressed, std::size_t max_output_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return pk::fail(ErrorCode::kInternal, "zlib could not start a gzip decoder");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());

  std::string result;
  std::vector<char> output(kChunkBytes);
  bool stream_ended = false;
  while (true) {
    if (stream_ended) {
      if (stream.avail_in == 0) break;
      inflateReset(&stream);
      stream_ended = false;
    }
    stream.next_out = reinterpret_cast<Bytef*>(output.data());
    stream.avail_out = static_cast<uInt>(output.size());
    const int status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      return pk::fail(ErrorCode::kMalformedInput,
                      std::string("gzip data is corrupt or truncated: ") +
                          (stream.msg != nullptr ? stream.msg : "unexpected end"));
    }
    result.append(output.data(), output.size() - stream.avail_out);
    if (result.size() > max_output_bytes) {
      return pk::fail(ErrorCode::kMalformedInput,
                      "gzip data expands beyond " + std::to_string(max_output_bytes) + " bytes");
    }
    if (status == Z_STREAM_END) stream_ended = true;
  }
  return result;
}

}  // namespace pk::apt
