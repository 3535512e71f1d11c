// Deterministic inputs shared by every implementation, so that all peers
// schedule exactly the same deadlines in exactly the same order.
#pragma once

#include <cstdint>
#include <vector>

namespace bench {

// splitmix64: tiny, fast and fully specified, so a Python port (tornado_*.py)
// produces the same sequence bit for bit.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t state_;
};

constexpr std::uint64_t deadline_seed = 42;
constexpr std::uint64_t deadline_span_ns = 200'000'000;  // [0, 200 ms)

// Offsets (ns from a common start) for n one-shot timers. Generated before any
// clock starts so the PRNG never shows up in a measurement.
inline std::vector<std::uint64_t> make_deadline_offsets(std::size_t n) {
    SplitMix64 rng(deadline_seed);
    std::vector<std::uint64_t> offsets(n);
    for (auto& offset : offsets) offset = rng.next() % deadline_span_ns;
    return offsets;
}

}  // namespace bench
