// The PostgreSQL driver's result values (in namespace eddy::postgres,
// documented here and in postgres.hpp): Result and Notification.
//
// A Result is eddy's own compact copy of a PGresult, made as the answer
// arrives, in one allocation: a header, the columns, one cell per value and
// the text. The PGresult is cleared at once. Keeping libpq's results instead
// (2 KiB blocks at least, held until each caller is done) made the heap churn
// under pipelining: malloc cost more than all of eddy's own work per query.
// Copying a 10,000-row result costs one memcpy of its text. Small blocks (a
// row or two) are recycled through the thread's BlockCache, as future states
// are: with a hundred queries in flight, a hundred small blocks made and freed
// per batch otherwise fill malloc's fastbins, and every one of libpq's 2 KiB
// result blocks then pays for consolidating them.
//
// Thread contract: plain values. Copies share the block through an atomic
// count, so copies may be used and dropped on different threads; the block is
// never written after it is made.
#pragma once

#include "libpq.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "../future/block_cache.hpp"
#include "error.hpp"

namespace eddy::detail::postgres {

// The block behind a Result. Cells are row-major; text holds the command tag,
// then the column names, then the values, each followed by a NUL.
struct ResultBlock {
  struct Column {
    Oid type;
    std::uint32_t name_length;
    std::size_t name_offset;
  };
  struct Cell {
    std::size_t offset;
    std::uint32_t length;  // null_length for NULL
  };
  static constexpr std::uint32_t null_length = UINT32_MAX;

  std::atomic<std::uint32_t> refs{1};
  std::uint32_t command_length = 0;
  std::uint8_t size_class = 0;  // 1: a 128-byte cached block, 2: 256, 0: operator new
  std::size_t rows = 0;
  std::size_t columns = 0;

  Column* column_array() noexcept { return reinterpret_cast<Column*>(this + 1); }
  const Column* column_array() const noexcept { return reinterpret_cast<const Column*>(this + 1); }
  Cell* cells() noexcept { return reinterpret_cast<Cell*>(column_array() + columns); }
  const Cell* cells() const noexcept { return reinterpret_cast<const Cell*>(column_array() + columns); }
  char* text() noexcept { return reinterpret_cast<char*>(cells() + rows * columns); }
  const char* text() const noexcept { return reinterpret_cast<const char*>(cells() + rows * columns); }

  // Copies `result` (a PGRES_TUPLES_OK, COMMAND_OK or EMPTY_QUERY result).
  // Each libpq accessor checks its indexes again, so for a small result
  // (the common case: a row or a few) the names and values asked while
  // sizing the block are kept on the stack rather than asked twice, and the
  // cells are walked in one flat loop (nested loops over one row cost more
  // in loop control than the copying). libpq gives a NULL length 0, so
  // PQgetisnull is asked of empty values only.
  static ResultBlock* copy(const PGresult* result) {
    constexpr std::size_t kept = 16;
    const std::size_t rows = static_cast<std::size_t>(PQntuples(result));
    const std::size_t columns = static_cast<std::size_t>(PQnfields(result));
    const std::size_t cells = rows * columns;
    const char* command = PQcmdStatus(const_cast<PGresult*>(result));
    const std::size_t command_length = std::strlen(command);
    std::size_t bytes = command_length + 1;
    const char* names[kept];
    std::size_t name_lengths[kept];
    for (std::size_t c = 0; c < columns; ++c) {
      const char* name = PQfname(result, static_cast<int>(c));
      std::size_t length = std::strlen(name);
      if (c < kept) {
        names[c] = name;
        name_lengths[c] = length;
      }
      bytes += length + 1;
    }
    const char* values[kept];
    int lengths[kept];
    const bool keep = cells <= kept;
    for (std::size_t i = 0, r = 0, c = 0; i < cells; ++i) {
      int length = PQgetlength(result, static_cast<int>(r), static_cast<int>(c));
      if (keep) {
        lengths[i] = length;
        values[i] = PQgetvalue(result, static_cast<int>(r), static_cast<int>(c));
      }
      bytes += static_cast<std::size_t>(length) + 1;
      if (++c == columns) c = 0, ++r;
    }
    ResultBlock* block = make(rows, columns, bytes);
    Writer out{block->text()};
    block->command_length = static_cast<std::uint32_t>(command_length);
    out.put(command, command_length);
    for (std::size_t c = 0; c < columns; ++c) {
      const char* name = c < kept ? names[c] : PQfname(result, static_cast<int>(c));
      std::size_t length = c < kept ? name_lengths[c] : std::strlen(name);
      block->column_array()[c] =
          Column{PQftype(result, static_cast<int>(c)), static_cast<std::uint32_t>(length), out.put(name, length)};
    }
    Cell* cell = block->cells();
    for (std::size_t i = 0, r = 0, c = 0; i < cells; ++i, ++cell) {
      int ri = static_cast<int>(r), ci = static_cast<int>(c);
      std::size_t length = static_cast<std::size_t>(keep ? lengths[i] : PQgetlength(result, ri, ci));
      std::size_t offset = out.put(keep ? values[i] : PQgetvalue(result, ri, ci), length);
      bool null = length == 0 && PQgetisnull(result, ri, ci);
      *cell = Cell{offset, null ? null_length : static_cast<std::uint32_t>(length)};
      if (++c == columns) c = 0, ++r;
    }
    return block;
  }

  // The rows the command tag reports (as PQcmdTuples reads it): the last
  // number of INSERT, UPDATE, DELETE, MERGE, SELECT, MOVE, FETCH and COPY
  // tags; 0 for the others. Read when asked, not for every result.
  std::uint64_t affected_rows() const noexcept {
    std::string_view tag(text(), command_length);
    bool counts = false;
    for (std::string_view word : {"INSERT ", "UPDATE ", "DELETE ", "MERGE ", "SELECT ", "MOVE ", "FETCH ", "COPY "}) {
      counts = counts || tag.substr(0, word.size()) == word;
    }
    if (!counts) return 0;
    std::uint64_t n = 0;
    for (std::size_t i = tag.rfind(' ') + 1; i < tag.size() && tag[i] >= '0' && tag[i] <= '9'; ++i) {
      n = n * 10 + static_cast<std::uint64_t>(tag[i] - '0');
    }
    return n;
  }

  // Appends text and its NUL; returns where it starts.
  struct Writer {
    char* text;
    std::size_t at = 0;
    std::size_t put(const char* data, std::size_t length) noexcept {
      std::memcpy(text + at, data, length);
      text[at + length] = '\0';
      std::size_t offset = at;
      at += length + 1;
      return offset;
    }
  };

  // A block for `rows` x `columns` values and `bytes` of text: a cached one
  // when small.
  static ResultBlock* make(std::size_t rows, std::size_t columns, std::size_t bytes) {
    std::size_t size = sizeof(ResultBlock) + columns * sizeof(Column) + rows * columns * sizeof(Cell) + bytes;
    std::uint8_t size_class = size <= 128 ? 1 : size <= 256 ? 2 : 0;
    void* memory = size_class == 1   ? BlockCache<128>::allocate()
                   : size_class == 2 ? BlockCache<256>::allocate()
                                     : ::operator new(size);
    ResultBlock* block = new (memory) ResultBlock();
    block->size_class = size_class;
    block->rows = rows;
    block->columns = columns;
    return block;
  }

  static void release(ResultBlock* block) noexcept {
    if (block != nullptr && block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::uint8_t size_class = block->size_class;
      block->~ResultBlock();
      if (size_class == 1) BlockCache<128>::deallocate(block);
      else if (size_class == 2) BlockCache<256>::deallocate(block);
      else ::operator delete(block);
    }
  }
};

}  // namespace eddy::detail::postgres

namespace eddy::postgres {

/// One statement's rows, values as text as libpq returns them (NULL kept
/// apart from ""). A copyable handle: copies share the rows. Row and column
/// indexes start at 0. A plain value: copies may live on any thread.
class Result {
 public:
  /// An empty result (no rows, no columns), as a statement without rows.
  Result() = default;
  /// Another handle to the same rows.
  Result(const Result& other) noexcept : block_(other.block_) {
    if (block_ != nullptr) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  /// Takes over the handle; `other` is left empty.
  Result(Result&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  /// Makes this a handle to the rows of `other`.
  Result& operator=(Result other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~Result() { detail::postgres::ResultBlock::release(block_); }

  /// The number of rows.
  std::size_t size() const noexcept { return block_ != nullptr ? block_->rows : 0; }
  /// The number of columns.
  std::size_t columns() const noexcept { return block_ != nullptr ? block_->columns : 0; }
  /// The name of `column`; std::out_of_range past the last column.
  std::string_view column_name(std::size_t column) const {
    check_column(column);
    const auto& c = block_->column_array()[column];
    return std::string_view(block_->text() + c.name_offset, c.name_length);
  }
  /// The type OID of `column` (pg_type: 23 int4, 25 text, ...);
  /// std::out_of_range past the last column.
  Oid column_type(std::size_t column) const {
    check_column(column);
    return block_->column_array()[column].type;
  }
  /// The index of the first column named `name`, or std::nullopt.
  std::optional<std::size_t> column_index(std::string_view name) const {
    for (std::size_t c = 0; c < columns(); ++c) {
      if (column_name(c) == name) return c;
    }
    return std::nullopt;
  }
  /// The value at (row, column) as text, or std::nullopt for NULL;
  /// std::out_of_range outside the result. The view lives as long as a copy
  /// of this Result does; the text is followed by a NUL.
  std::optional<std::string_view> get(std::size_t row, std::size_t column) const {
    check_column(column);
    if (row >= size()) {
      throw std::out_of_range("eddy: postgres::Result::get: row " + std::to_string(row) + " of " +
                              std::to_string(size()));
    }
    const auto& cell = block_->cells()[row * block_->columns + column];
    if (cell.length == detail::postgres::ResultBlock::null_length) return std::nullopt;
    return std::string_view(block_->text() + cell.offset, cell.length);
  }
  /// The rows an INSERT, UPDATE, DELETE, MERGE, SELECT, MOVE, FETCH or COPY
  /// affected (libpq's PQcmdTuples); 0 for other statements.
  std::uint64_t affected_rows() const noexcept { return block_ != nullptr ? block_->affected_rows() : 0; }
  /// The command tag ("INSERT 0 1", "SELECT 3", "LISTEN"; "" for an empty query).
  std::string_view command() const noexcept {
    return block_ != nullptr ? std::string_view(block_->text(), block_->command_length) : std::string_view();
  }

  /// A Result copied from a libpq result (which the caller still owns and
  /// clears). For the driver; public so that code calling libpq itself can
  /// use the same type.
  static Result from(const PGresult* result) { return Result(detail::postgres::ResultBlock::copy(result)); }

 private:
  explicit Result(detail::postgres::ResultBlock* block) noexcept : block_(block) {}
  void check_column(std::size_t column) const {
    if (column >= columns()) {
      throw std::out_of_range("eddy: postgres::Result: column " + std::to_string(column) + " of " +
                              std::to_string(columns()));
    }
  }

  detail::postgres::ResultBlock* block_ = nullptr;
};

/// One NOTIFY received on a channel this connection listens to.
struct Notification {
  std::string channel;  ///< the channel NOTIFY named
  std::string payload;  ///< the payload ("" when none was given)
  int pid = 0;          ///< the notifying server process
};

}  // namespace eddy::postgres
