// What secure cookies stand on: SHA-256 (FIPS 180-4 / NIST example
// vectors), HMAC-SHA256 (RFC 4231), the constant-time compare, XXH64 (the
// ETag hash; reference values from the xxHash library), and signed values in
// Tornado's version 2 format, checked against Python's tornado.web itself.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <eddy/detail/base/sha256.hpp>
#include <eddy/detail/base/xxhash64.hpp>
#include <eddy/detail/http/signed_value.hpp>

#include "support/run_command.hpp"

namespace {

std::string sha256_hex(std::string_view s) { return eddy::detail::to_hex(eddy::detail::sha256(s)); }
std::string hmac_hex(std::string_view k, std::string_view m) {
  return eddy::detail::to_hex(eddy::detail::hmac_sha256(k, m));
}

}  // namespace

TEST_CASE("SHA-256 gives the FIPS 180-4 example digests", "[web][signing]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstn"
                   "opqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(sha256_hex(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 gives the same digest however the input is split", "[web][signing]") {
  std::string text(300, 'x');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(i * 7);
  eddy::detail::Sha256 parts;
  for (std::size_t i = 0; i < text.size(); i += 13) parts.update(std::string_view(text).substr(i, 13));
  CHECK(eddy::detail::to_hex(parts.finish()) == sha256_hex(text));
}

TEST_CASE("HMAC-SHA256 gives the RFC 4231 test vectors", "[web][signing]") {
  std::string k1(20, '\x0b'), k3(20, '\xaa'), k4, k5(20, '\x0c'), big(131, '\xaa');
  for (char c = 1; c <= 25; ++c) k4 += c;
  CHECK(hmac_hex(k1, "Hi There") == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hmac_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hmac_hex(k3, std::string(50, '\xdd')) == "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  CHECK(hmac_hex(k4, std::string(50, '\xcd')) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  CHECK(hmac_hex(k5, "Test With Truncation").substr(0, 32) == "a3b6167473100ee06e0c796c2955552b");
  CHECK(hmac_hex(big, "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hmac_hex(big, "This is a test using a larger than block-size key and a larger than block-size data. The key "
                      "needs to be hashed before being used by the HMAC algorithm.") ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("constant_time_equal compares whole strings", "[web][signing]") {
  CHECK(eddy::detail::constant_time_equal("abc", "abc"));
  CHECK(eddy::detail::constant_time_equal("", ""));
  CHECK_FALSE(eddy::detail::constant_time_equal("abc", "abd"));
  CHECK_FALSE(eddy::detail::constant_time_equal("abc", "ab"));
  CHECK_FALSE(eddy::detail::constant_time_equal("xbc", "abc"));
}

TEST_CASE("xxhash64 gives the xxHash library's values", "[web][signing]") {
  using eddy::detail::xxhash64;
  CHECK(xxhash64("") == 0xef46db3751d8e999ull);
  CHECK(xxhash64("a") == 0xd24ec4f1a98c6e5bull);
  CHECK(xxhash64("abc") == 0x44bc2cf5ad770999ull);
  CHECK(xxhash64("Hello, World!") == 0xc49aacf8080fe47full);
  CHECK(xxhash64("abc", 2654435761u) == 0x1318df30094a85fdull);
  std::string long_input;
  for (int r = 0; r < 4; ++r)
    for (int i = 0; i < 256; ++i) long_input += static_cast<char>(i);
  long_input += "xyz";
  CHECK(xxhash64(long_input) == 0xe146cb31b65bc21aull);
  CHECK(xxhash64(long_input, 2654435761u) == 0x8a66b45747ef9df4ull);
}

TEST_CASE("a signed value has Tornado's version 2 layout and reads back", "[web][signing]") {
  using namespace eddy::detail;
  // python3 -c "import tornado.web as w; print(w.create_signed_value('secret','name','value',clock=lambda:1700000000))"
  std::string v = create_signed_value("secret", "name", "value", 1700000000);
  CHECK(v == "2|1:0|10:1700000000|4:name|8:dmFsdWU=|a10442fe9dfd04c38d66405499eca973aa061c03364bdc2e4d993487049011fd");
  CHECK(decode_signed_value("secret", "name", v, 1700000000, 31 * 86400) == "value");
  std::string odd = create_signed_value("secret", "n", "caf\xC3\xA9 | x", 1700000000);
  CHECK(odd == "2|1:0|10:1700000000|1:n|12:Y2Fmw6kgfCB4|ea661b8771f198a69f803c3f4840e63dd5321034097c79a7de0ac8ddbcb024c7");
}

TEST_CASE("a tampered, expired, other-name or malformed signed value reads as nullopt", "[web][signing]") {
  using namespace eddy::detail;
  const std::int64_t t = 1700000000, day = 86400;
  std::string v = create_signed_value("secret", "name", "value", t);
  CHECK_FALSE(decode_signed_value("other secret", "name", v, t, day));
  CHECK_FALSE(decode_signed_value("secret", "other", v, t, day));
  CHECK_FALSE(decode_signed_value("secret", "name", v, t + day + 1, day));
  CHECK(decode_signed_value("secret", "name", v, t + day, day) == "value");
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string bad = v;
    bad[i] = bad[i] == 'a' ? 'b' : 'a';
    INFO(bad);
    CHECK_FALSE(decode_signed_value("secret", "name", bad, t, day));
  }
  for (std::string_view junk : {"", "2|", "1|x", "2|1:0|", "2|99999999999:0|", "2|-1:0|10:1700000000|4:name|",
                                "2|1:0|10:1700000000|4:name|8:dmFsdWU=|"}) {
    CHECK_FALSE(decode_signed_value("secret", "name", junk, t, day));
  }
  CHECK_FALSE(decode_signed_value("secret", "name", v.substr(0, v.size() - 1), t, day));
}

TEST_CASE("Tornado reads eddy's signed values and eddy reads Tornado's", "[web][signing][python]") {
  using namespace eddy::detail;
  std::int64_t now = 1700000000;
  std::string ours = create_signed_value("s3cret", "user", "alice \xE2\x98\x83", now);
  std::string script =
      "import tornado.web as w; c = lambda: 1700000100; "
      "print(w.decode_signed_value('s3cret', 'user', '" + ours + "', clock=c).decode('utf-8') == 'alice \\u2603'); "
      "print(w.create_signed_value('s3cret', 'user', 'bob|1:2', clock=c).decode())";
  eddy_test::CommandRun run = eddy_test::run_command("/usr/bin/python3 -c \"" + script + "\"");
  INFO(run.out);
  REQUIRE(run.exit_code() == 0);
  std::string out = run.out;
  REQUIRE(out.substr(0, 5) == "True\n");
  std::string theirs = out.substr(5, out.size() - 6);
  CHECK(decode_signed_value("s3cret", "user", theirs, now + 200, 86400) == "bob|1:2");
}
