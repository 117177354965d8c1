/* thosts: a private /etc/hosts for the test process, so tests can use host
 * names that resolve to 127.0.0.x (and names that do not resolve at all)
 * without touching the network or the machine's files.
 *
 * thosts_private() moves the calling process into a mount namespace of its
 * own and bind-mounts over /etc/hosts a file of the test's text, over
 * /etc/nsswitch.conf one whose hosts line is "files" only, and over
 * /etc/resolv.conf an empty file: a name absent from the text fails at once
 * (EAI_NONAME) with no query sent. Every process the test starts afterwards
 * (slotd, slotctl, slot-gateway) inherits the namespace. glibc reads
 * /etc/hosts afresh on each lookup, so thosts_set() moves a name while
 * processes run. Needs root (CAP_SYS_ADMIN): the check runner forks every
 * test, so call it first thing in the test and the namespace ends with the
 * test's process. */
#ifndef SLOT_THOSTS_H
#define SLOT_THOSTS_H

/* Returns 0, or -1 with the reason on stderr (not root, no namespaces):
 * the caller then skips the test. text: hosts lines ("127.0.0.2 a b\n"). */
int thosts_private(const char *text);

/* Rewrites the private hosts file in place (same inode, so the bind mount
 * shows it). Returns 0 or -1. */
int thosts_set(const char *text);

#endif /* SLOT_THOSTS_H */
