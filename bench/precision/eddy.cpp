// Timer precision on eddy: call_later(delay) re-armed from its own callback;
// the last sample stops the loop.
#include <eddy/eddy.hpp>

#include "support/lateness.hpp"

namespace {

void arm(eddy::IOLoop& loop, bench::LatenessProbe& probe) {
    probe.armed();
    loop.call_later(probe.delay(), [&loop, &probe] {
        if (probe.fired())
            arm(loop, probe);
        else
            loop.stop();
    });
}

void measure(bench::LatenessProbe& probe) {
    eddy::IOLoop loop;
    arm(loop, probe);
    loop.start();
}

}  // namespace

int main(int argc, char** argv) { return bench::lateness_main("eddy", argc, argv, measure); }
