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
 */
#ifndef SLOT_CHECK_H
#define SLOT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct check_case {
    const char *name;
    void (*fn)(void);
};

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                     \
    do {                                                                   \
        long long check_a_ = (long long)(a);                               \
        long long check_b_ = (long long)(b);                               \
        if (check_a_ != check_b_) {                                        \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);       \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

#define CHECK_STR(a, b)                                                    \
    do {                                                                   \
        const char *check_a_ = (a);                                        \
        const char *check_b_ = (b);                                        \
        if (check_a_ == NULL || check_b_ == NULL ||                        \
            strcmp(check_a_, check_b_) != 0) {                             \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s (\"%s\" != \"%s\")\n", \
                    __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)", \
                    check_b_ ? check_b_ : "(null)");                       \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

static inline int check_main(const struct check_case *cases, int argc,
                             char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int nofork = getenv("CHECK_NOFORK") != NULL;
    int passed = 0, failed = 0;
    for (const struct check_case *c = cases; c->name != NULL; c++) {
        if (only != NULL && strstr(c->name, only) == NULL) {
            continue;
        }
        int ok;
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
                c->fn();
                fflush(stdout);
                _exit(0);
            }
            int st = 0;
            while (waitpid(pid, &st, 0) < 0) {
            }
            ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            if (!ok && WIFSIGNALED(st)) {
                fprintf(stderr, "  (killed by signal %d)\n", WTERMSIG(st));
            }
        }
        printf("%s %s\n", ok ? "ok  " : "FAIL", c->name);
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
