// Timer precision on Asio: one steady_timer re-armed from its handler with
// expires_after (measured from the real now) + async_wait.
#include <asio.hpp>

#include "support/lateness.hpp"

namespace {

void arm(asio::steady_timer& timer, bench::LatenessProbe& probe) {
    probe.armed();
    timer.expires_after(probe.delay());
    timer.async_wait([&timer, &probe](const asio::error_code& ec) {
        if (!ec && probe.fired()) arm(timer, probe);
    });
}

void measure(bench::LatenessProbe& probe) {
    asio::io_context ctx(1);
    asio::steady_timer timer(ctx);
    arm(timer, probe);
    ctx.run();
}

}  // namespace

int main(int argc, char** argv) { return bench::lateness_main("asio", argc, argv, measure); }
