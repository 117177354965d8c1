/* check: the project's tiny unit-test runner, shared by every C test suite.
 *
 * Each test runs in its own forked child (libuv's runner does the same), so
 * a crash or an assertion in one test is reported as that test's failure and
 * the others still run. A suite ends with exactly one line
 * "N passed, N failed", which `make test` sums across suites.
 *
 *   static void test_foo(void) { CHECK(1 + 1 == 2); CHECK_EQ(x, 3); }
 *   static const struct check_case cases[] = {
 *       {"foo", test_foo}, {NULL, NULL}};
 *   int main(int argc, char **argv) { return check_main(cases, argc, argv); }
 *
 * `suite NAME` runs only the tests whose name contains NAME.
 * CHECK_NOFORK=1 in the environment runs tests in-process (for gdb).
 *
 * Bounds: every test has a time limit, $CHECK_TIMEOUT seconds if set, else
 * CHECK_TIMEOUT_S. A test that
 * overruns is killed with its whole process group and reported as a
 * failure that names it: a hang never blocks the run. The limit is a
 * safety net for hangs, never a performance assertion: set it far above
 * what the test needs on a slow machine.
 *
 * A passing test ends with exit(0), not _exit(0), so that atexit handlers
 * run and, in sanitizer builds, LeakSanitizer checks the test for leaks (a
 * leak makes the test fail).
 */
#ifndef SLOT_CHECK_H
#define SLOT_CHECK_H

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tclock.h"

#define CHECK_TIMEOUT_S 300

struct check_case {
    const char *name;
    void (*fn)(void);
};

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long check_a_ = (long long)(a);                                   \
        long long check_b_ = (long long)(b);                                   \
        if (check_a_ != check_b_) {                                            \
            fprintf(stderr,                                                    \
                    "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n",       \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);           \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *check_a_ = (a);                                            \
        const char *check_b_ = (b);                                            \
        if (check_a_ == NULL || check_b_ == NULL ||                            \
            strcmp(check_a_, check_b_) != 0) {                                 \
            fprintf(stderr,                                                    \
                    "%s:%d: CHECK_STR failed: %s == %s (\"%s\" != \"%s\")\n",  \
                    __FILE__, __LINE__, #a, #b,                                \
                    check_a_ ? check_a_ : "(null)",                            \
                    check_b_ ? check_b_ : "(null)");                           \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Waits for the test's child until timeout_s has passed; then kills its
 * process group. Returns the wait status, or -1 when it timed out. */
static inline int check_wait(pid_t pid, unsigned timeout_s)
{
    long long until = tclock_mono_ms() + (long long)timeout_s * 1000;
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            return st;
        }
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            exit(2);
        }
        if (tclock_mono_ms() >= until) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
            return -1;
        }
        tclock_sleep_ms(5);
    }
}

static inline int check_main(const struct check_case *cases, int argc,
                             char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int nofork = getenv("CHECK_NOFORK") != NULL;
    const char *env = getenv("CHECK_TIMEOUT");
    unsigned dflt =
        env != NULL && atoi(env) > 0 ? (unsigned)atoi(env) : CHECK_TIMEOUT_S;
    int passed = 0, failed = 0;
    for (const struct check_case *c = cases; c->name != NULL; c++) {
        if (only != NULL && strstr(c->name, only) == NULL) {
            continue;
        }
        int ok;
        long long t0 = tclock_mono_ms();
        if (nofork) {
            c->fn();
            ok = 1;
        } else {
            fflush(stdout);
            fflush(stderr);
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                exit(2);
            }
            if (pid == 0) {
                /* Its own process group: a timeout kills what it started. */
                setpgid(0, 0);
                c->fn();
                fflush(stdout);
                exit(0);
            }
            setpgid(pid, pid);
            unsigned limit = dflt;
            int st = check_wait(pid, limit);
            if (st == -1) {
                fprintf(stderr, "  (timed out after %u s)\n", limit);
                ok = 0;
            } else {
                ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
                if (!ok && WIFSIGNALED(st)) {
                    fprintf(stderr, "  (killed by signal %d)\n", WTERMSIG(st));
                }
            }
        }
        printf("%s %s (%.1f s)\n", ok ? "ok  " : "FAIL", c->name,
               (double)(tclock_mono_ms() - t0) / 1000.0);
        if (ok) {
            passed++;
        } else {
            failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif /* SLOT_CHECK_H */
