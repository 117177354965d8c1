#include "thosts.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static char g_dir[64];

static int writeFile(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    int rc = fputs(text, f) < 0 ? -1 : 0;
    return fclose(f) != 0 ? -1 : rc;
}

static int bindOver(const char *name, const char *target, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    if (writeFile(path, text) != 0 ||
        mount(path, target, NULL, MS_BIND, NULL) != 0) {
        perror(target);
        return -1;
    }
    return 0;
}

/* The files stay in /tmp while mounted; the process's exit ends the mounts
 * with the namespace, and this removes the files. */
static void cleanup(void)
{
    static const char *const names[] = {"hosts", "nsswitch.conf",
                                        "resolv.conf"};
    static const char *const targets[] = {"/etc/hosts", "/etc/nsswitch.conf",
                                          "/etc/resolv.conf"};
    for (int i = 0; i < 3; i++) {
        char path[128];
        (void)umount(targets[i]);
        snprintf(path, sizeof path, "%s/%s", g_dir, names[i]);
        (void)unlink(path);
    }
    (void)rmdir(g_dir);
}

int thosts_private(const char *text)
{
    if (geteuid() != 0) {
        fprintf(stderr, "thosts: not root: no private /etc/hosts\n");
        return -1;
    }
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        perror("thosts: mount namespace");
        return -1;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/slot-hosts-XXXXXX");
    if (mkdtemp(g_dir) == NULL) {
        perror("thosts: mkdtemp");
        return -1;
    }
    atexit(cleanup);
    if (bindOver("hosts", "/etc/hosts", text) != 0 ||
        bindOver("nsswitch.conf", "/etc/nsswitch.conf", "hosts: files\n") !=
            0 ||
        bindOver("resolv.conf", "/etc/resolv.conf", "") != 0) {
        return -1;
    }
    return 0;
}

int thosts_set(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/hosts", g_dir);
    return writeFile(path, text); /* "w" truncates: the same inode */
}
