// HTTPHeaders, part of the public httputil.hpp API, kept in its own file:
// the header fields of a message, in arrival order, with case-insensitive
// lookups, and storage that a list refilled for message after message (the
// server's pooled handlers) reuses.
//
// Thread contract: a value type; one thread at a time per object.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "ascii_words.hpp"

namespace eddy {

/// A set of HTTP header fields: case-insensitive names, several values per
/// name, arrival order kept (Tornado's HTTPHeaders). Names keep the spelling
/// they were added with; every lookup ignores ASCII case. Iteration yields
/// one (name, value) pair per value, in the order they were added:
///
///   for (auto& [name, value] : headers) ...
///
/// Values are stored as given: this is a container, not a validator. The
/// parser hands it only checked fields; code that takes names or values from
/// users checks them first (check_header_value, is_token).
/// Lookups are linear scans, which beat any map for the few dozen fields a
/// message carries.
class HTTPHeaders {
 public:
  /// One (name, value) pair.
  using value_type = std::pair<std::string, std::string>;
  /// Iterates the pairs in the order they were added.
  using const_iterator = std::vector<value_type>::const_iterator;
  /// The same as const_iterator: pairs change only through the members.
  using iterator = const_iterator;

  /// No field.
  HTTPHeaders() = default;
  /// add() for each pair, in order: `HTTPHeaders h{{"Accept", "*/*"}}`.
  HTTPHeaders(std::initializer_list<value_type> fields) {
    for (auto& field : fields) add(field.first, field.second);
  }
  /// Copies hold the fields, not the storage kept for reuse.
  HTTPHeaders(const HTTPHeaders& other) : fields_(other.begin(), other.end()), size_(other.size_), grown_(true) {}
  HTTPHeaders& operator=(const HTTPHeaders& other) {
    if (this != &other) {
      clear();
      for (const auto& [name, value] : other) add(name, value);
    }
    return *this;
  }
  HTTPHeaders(HTTPHeaders&& other) noexcept
      : fields_(std::move(other.fields_)), size_(other.size_), grown_(other.grown_) {
    other.fields_.clear();
    other.size_ = 0;
    other.grown_ = false;
  }
  HTTPHeaders& operator=(HTTPHeaders&& other) noexcept {
    if (this == &other) return *this;
    fields_.swap(other.fields_);
    std::swap(size_, other.size_);
    std::swap(grown_, other.grown_);
    other.clear();
    return *this;
  }
  ~HTTPHeaders() = default;

  /// Appends one more value for `name` (after any it already has).
  void add(std::string_view name, std::string_view value) {
    // A slot kept by clear() that holds this very field already: a server
    // refills one list per message (its handlers are pooled), and a
    // connection's messages mostly repeat their fields, so a comparison
    // usually replaces the copy; nothing is built or allocated then.
    if (size_ < fields_.size()) {
      const value_type& slot = fields_[size_];
      if (same(slot.first, name) && same(slot.second, value)) {
        ++size_;
        return;
      }
    }
    add_copy(name, value);
  }

  /// Replaces every value of `name` by `value`. The field keeps the position
  /// of its first value; a new name goes at the end.
  void set(std::string_view name, std::string_view value) {
    if (size_ == 0) return add(name, value);  // a response's first header: nothing to replace
    std::size_t out = 0;
    bool placed = false;
    for (std::size_t i = 0; i < size_; ++i) {
      if (detail::iequals(fields_[i].first, name)) {
        if (placed) continue;
        if (value.size() > small_string) grown_ = true;
        fields_[i].second.assign(value.data(), value.size());
        placed = true;
      }
      if (out != i) fields_[out].swap(fields_[i]);  // a dropped slot's storage moves past the end
      ++out;
    }
    size_ = out;
    if (!placed) add(name, value);
  }

  /// Every value of `name` joined by "," (as Tornado and RFC 9110 §5.3
  /// combine field lines), or `default_value` when there is none.
  std::string get(std::string_view name, std::string_view default_value = "") const {
    const value_type* first = nullptr;
    std::string joined;
    for (auto& field : *this) {
      if (!detail::iequals(field.first, name)) continue;
      if (first == nullptr) {
        first = &field;
        joined = field.second;
      } else {
        joined += ',';
        joined += field.second;
      }
    }
    if (first == nullptr) return std::string(default_value);
    return joined;
  }

  /// Every value of `name`, in arrival order; empty when there is none.
  std::vector<std::string> get_list(std::string_view name) const {
    std::vector<std::string> values;
    for (auto& field : *this)
      if (detail::iequals(field.first, name)) values.push_back(field.second);
    return values;
  }

  /// The first value of `name`, or nullptr. The pointer lives until the next
  /// change to the headers. No copy: what the server's hot path uses.
  const std::string* find(std::string_view name) const noexcept {
    for (auto& field : *this)
      if (detail::iequals(field.first, name)) return &field.second;
    return nullptr;
  }

  /// How many values `name` has.
  std::size_t count(std::string_view name) const noexcept {
    std::size_t n = 0;
    for (auto& field : *this)
      if (detail::iequals(field.first, name)) ++n;
    return n;
  }

  /// True when `name` has at least one value.
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

  /// Removes every value of `name`; nothing happens when there is none.
  void remove(std::string_view name) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (detail::iequals(fields_[i].first, name)) continue;
      if (out != i) fields_[out].swap(fields_[i]);
      ++out;
    }
    size_ = out;
  }

  /// Removes everything. The storage stays for the next fields, within
  /// bounds: 64 slots, and of their strings' heap storage 8 KiB in all (a
  /// browser's dozen fields fit), whatever the fields before carried.
  void clear() noexcept {
    size_ = 0;
    if (!grown_) return;  // the storage kept is what the last weighing kept
    grown_ = false;
    if (fields_.size() > max_kept_slots) fields_.erase(fields_.begin() + max_kept_slots, fields_.end());
    std::size_t budget = max_kept_bytes;
    for (value_type& field : fields_) {
      keep_within(field.first, budget);
      keep_within(field.second, budget);
    }
  }
  /// Makes room for `n` pairs without reallocating.
  void reserve(std::size_t n) { fields_.reserve(n); }

  /// The number of (name, value) pairs, counting each value.
  std::size_t size() const noexcept { return size_; }
  /// True when there is no field.
  bool empty() const noexcept { return size_ == 0; }

  /// The first (name, value) pair, in arrival order.
  const_iterator begin() const noexcept { return fields_.begin(); }
  /// Past the last pair.
  const_iterator end() const noexcept { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }

  /// Equal when they hold the same pairs in the same order (names compared
  /// case-insensitively, values exactly).
  friend bool operator==(const HTTPHeaders& a, const HTTPHeaders& b) noexcept {
    if (a.size_ != b.size_) return false;
    for (std::size_t i = 0; i < a.size_; ++i) {
      if (!detail::iequals(a.fields_[i].first, b.fields_[i].first)) return false;
      if (a.fields_[i].second != b.fields_[i].second) return false;
    }
    return true;
  }
  /// Not operator==.
  friend bool operator!=(const HTTPHeaders& a, const HTTPHeaders& b) noexcept { return !(a == b); }

 private:
  static constexpr std::size_t max_kept_slots = 64;
  static constexpr std::size_t small_string = 32;
  static constexpr std::size_t max_kept_bytes = 8 * 1024;
  // s = v, compared first; clear + append otherwise (assign goes through
  // libstdc++'s general replace).
  static bool same(const std::string& s, std::string_view v) noexcept {
    return s.size() == v.size() && detail::equal_bytes(s.data(), v.data(), v.size());
  }
  // add() when the field is not in its slot already (out of line: the
  // comparison above is what runs on a server's every request).
  EDDY_NOINLINE void add_copy(std::string_view name, std::string_view value) {
    // A string of more than 32 bytes may take heap storage that clear()
    // must then weigh (see grown_).
    if (name.size() > small_string || value.size() > small_string) grown_ = true;
    if (size_ == fields_.size()) {
      // Built in place: no temporaries to move.
      fields_.emplace_back(std::piecewise_construct, std::forward_as_tuple(name.data(), name.size()),
                           std::forward_as_tuple(value.data(), value.size()));
      if (fields_.size() > max_kept_slots) grown_ = true;
    } else {
      value_type& slot = fields_[size_];
      refill(slot.first, name);
      refill(slot.second, value);
    }
    ++size_;
  }
  static void refill(std::string& s, std::string_view v) {
    if (s.size() == v.size() && detail::equal_bytes(s.data(), v.data(), v.size())) return;
    s.clear();
    s.append(v.data(), v.size());
  }
  // Keeps s's storage if it is small (32 bytes or less: within the string,
  // or nearly) or fits what is left of `budget`; frees it otherwise.
  static void keep_within(std::string& s, std::size_t& budget) noexcept {
    const std::size_t c = s.capacity();
    if (c <= small_string) return;
    if (c <= budget) {
      budget -= c;
      return;
    }
    std::string().swap(s);
  }

  // [0, size_) are the fields; the slots after them keep their strings'
  // storage for add().
  std::vector<value_type> fields_;
  std::size_t size_ = 0;
  // Set when a string past small_string was stored since the last clear():
  // only then can the storage kept have grown, and clear() weighs it again
  // (a slot's capacity changes only when a longer string is copied in;
  // the slot count, only when one is added).
  bool grown_ = false;
};

}  // namespace eddy
