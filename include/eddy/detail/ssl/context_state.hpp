// SSLContextState: what an SSLContext handle shares, an SSL_CTX with eddy's
// choices made on it, and the definitions of SSLContext's members.
//
// The choices, both sides: TLS 1.2 minimum; no renegotiation; no TLS
// compression; SSL_MODE_RELEASE_BUFFERS (an idle connection holds no
// record buffers: OpenSSL frees them once they drain); partial writes and a
// moving write buffer (a record the kernel took only in part is finished
// from the stream's queue, where the bytes were copied); read-ahead (one
// recv pulls in whatever records the kernel holds instead of two per record,
// header and body).
// Clients: the system CA store, SSL_VERIFY_PEER, and (per connection, in
// transport.hpp) the host name or IP address to check and SNI.
// Servers: session tickets (stateless: TLS 1.3 tickets and TLS 1.2 ticket
// resumption need no server-side cache, so none is kept), a session id
// context (resumption with client certificates), ALPN chosen in the server's
// order, the chain as given (no chain built from the store per handshake).
//
// Lifetime: shared by the handles and by every connection made with it (a
// connection holds a reference, since OpenSSL's callbacks reach this object).
// Thread contract: configure before the first connection.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "context.hpp"
#include "errors.hpp"

namespace eddy::detail {

class SSLContextState {
 public:
  SSLContextState(bool server, bool system_store) : server_(server), verify_(!server) {
    clear_errors();
    ctx_ = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx_ == nullptr) fail("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx_, 1);
    if (server) {
      // The chain file holds the chain: building one from the store at every
      // handshake would cost CPU for nothing (nginx sets this too).
      SSL_CTX_set_mode(ctx_, SSL_MODE_NO_AUTO_CHAIN);
      static const unsigned char id[] = "eddy";
      SSL_CTX_set_session_id_context(ctx_, id, sizeof id - 1);
      SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_set_alpn_select_cb(ctx_, &SSLContextState::select_alpn, this);
    } else if (system_store && SSL_CTX_set_default_verify_paths(ctx_) != 1) {
      fail("cannot load the system CA store");
    }
    apply_verify();
  }
  SSLContextState(const SSLContextState&) = delete;
  SSLContextState& operator=(const SSLContextState&) = delete;
  ~SSLContextState() { SSL_CTX_free(ctx_); }

  SSL_CTX* ctx() const noexcept { return ctx_; }
  bool server() const noexcept { return server_; }
  bool verify() const noexcept { return verify_; }
  Clock::duration handshake_timeout() const noexcept { return timeout_; }
  bool has_alpn() const noexcept { return !alpn_.empty(); }

  void load_verify_locations(const std::string& ca_file) {
    clear_errors();
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) fail("cannot load CA file '" + ca_file + "'");
    if (server_) {
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
      if (names == nullptr) fail("cannot read CA names from '" + ca_file + "'");
      SSL_CTX_set_client_CA_list(ctx_, names);
    }
  }

  void load_cert_chain(const std::string& chain, const std::string& key) {
    clear_errors();
    const std::string& key_file = key.empty() ? chain : key;
    if (SSL_CTX_use_certificate_chain_file(ctx_, chain.c_str()) != 1) fail("cannot load certificate chain '" + chain + "'");
    if (SSL_CTX_use_PrivateKey_file(ctx_, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      fail("cannot load private key '" + key_file + "'");
    }
    if (SSL_CTX_check_private_key(ctx_) != 1) fail("the private key '" + key_file + "' does not match '" + chain + "'");
  }

  void set_verify(bool verify) {
    verify_ = verify;
    apply_verify();
  }

  // Wire format (a length byte before each name) for a client's offer; the
  // same bytes are a server's preference list.
  void set_alpn(std::vector<std::string> protocols) {
    std::string wire;
    for (const std::string& p : protocols) {
      if (p.empty() || p.size() > 255) throw std::invalid_argument("eddy: SSLContext: an ALPN protocol name is 1-255 bytes");
      wire += static_cast<char>(p.size());
      wire += p;
    }
    alpn_ = std::move(wire);
    if (!server_) {
      clear_errors();
      const auto* bytes = reinterpret_cast<const unsigned char*>(alpn_.data());
      if (SSL_CTX_set_alpn_protos(ctx_, bytes, static_cast<unsigned>(alpn_.size())) != 0) fail("cannot set ALPN");
    }
  }

  void set_handshake_timeout(Clock::duration timeout) noexcept { timeout_ = timeout; }

 private:
  [[noreturn]] static void fail(const std::string& what) {
    std::string reason = take_reason();
    throw SSLError("eddy: SSLContext: " + what + ": " + reason, reason);
  }

  void apply_verify() noexcept {
    int mode = SSL_VERIFY_NONE;
    if (verify_) mode = server_ ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx_, mode, nullptr);
  }

  // The server's first protocol that the client offers; none in common:
  // no ALPN at all (the handshake goes on, as Python's ssl does).
  static int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                         unsigned int inlen, void* arg) {
    auto* self = static_cast<SSLContextState*>(arg);
    if (self->alpn_.empty()) return SSL_TLSEXT_ERR_NOACK;
    unsigned char* chosen = nullptr;
    const auto* ours = reinterpret_cast<const unsigned char*>(self->alpn_.data());
    if (SSL_select_next_proto(&chosen, outlen, ours, static_cast<unsigned>(self->alpn_.size()), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
      return SSL_TLSEXT_ERR_NOACK;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }

  SSL_CTX* ctx_ = nullptr;
  bool server_;
  bool verify_;
  Clock::duration timeout_ = std::chrono::seconds(10);
  std::string alpn_;
};

}  // namespace eddy::detail

namespace eddy {

inline SSLContext SSLContext::client() { return SSLContext(std::make_shared<detail::SSLContextState>(false, true)); }

inline SSLContext SSLContext::server(const std::string& cert_chain_file, const std::string& key_file) {
  auto state = std::make_shared<detail::SSLContextState>(true, false);
  state->load_cert_chain(cert_chain_file, key_file);
  return SSLContext(std::move(state));
}

inline void SSLContext::load_verify_locations(const std::string& ca_file) { state_->load_verify_locations(ca_file); }

inline void SSLContext::load_cert_chain(const std::string& cert_chain_file, const std::string& key_file) {
  state_->load_cert_chain(cert_chain_file, key_file);
}

inline void SSLContext::set_verify(bool verify) { state_->set_verify(verify); }

inline void SSLContext::set_alpn_protocols(std::vector<std::string> protocols) { state_->set_alpn(std::move(protocols)); }

inline void SSLContext::set_handshake_timeout(Clock::duration timeout) { state_->set_handshake_timeout(timeout); }

inline bool SSLContext::server_side() const noexcept { return state_->server(); }

inline Clock::duration SSLContext::handshake_timeout() const noexcept { return state_->handshake_timeout(); }

}  // namespace eddy
