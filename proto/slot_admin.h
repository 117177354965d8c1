/* slot_admin: the node administration messages of the client protocol
 * (frames of type SLOT_FRAME_ADMIN / SLOT_FRAME_ADMIN_REPLY): status and
 * membership. Same rules as slot_proto.h: decoders take untrusted bytes,
 * validate everything, return a slot_err code; strings are copied.
 *
 *   request                          reply body
 *   [1] or [1, no_hash] STATUS       node status (below), from any node;
 *                                    no_hash: state_hash is 0 (not
 *                                    computed: it costs O(state) on the
 *                                    node's loop; leader polling and
 *                                    health probes set it)
 *   [2, id, address]    ADD          nil   (leader only; joins as spare)
 *   [3, id, role]       ASSIGN       nil   (leader only; role 0 standby,
 *                                           1 voter, 2 spare)
 *   [4, id]             REMOVE       nil   (leader only)
 *   [5, id]             TRANSFER     nil   (leader only; 0: raft picks)
 *   [6, id]             LEAVE        nil   (sent by the leader to a node it
 *                                           removed, whose id is `id`: raft
 *                                           stops talking to a removed node,
 *                                           which would otherwise campaign
 *                                           forever)
 *
 *   address = "RAFT_HOST:PORT/CLIENT_HOST:PORT" (the client part may be
 *   absent: then nobody can be redirected to that node).
 *
 *   node status = [id, role, term, commit_index, applied_index, leader_id,
 *                  address, [[id, address, role], ...], state_hash,
 *                  ledger_time_ms, entries_applied, commands_applied,
 *                  config_committed_index, config_uncommitted_index,
 *                  promotee_id]
 *   role is "leader" / "follower" / "candidate" / "unavailable".
 *   The last three are raft's view of membership changes (issue 18: why a
 *   change is refused CANTCHANGE): the index of the last committed
 *   configuration, of the one appended and not yet committed (0: none),
 *   and on the leader the id of a server being caught up for promotion
 *   (0: none; raft refuses every other change meanwhile). They are
 *   optional trailing fields: a node that predates them sends 12 fields,
 *   which decode with all three 0.
 */
#ifndef SLOT_ADMIN_H
#define SLOT_ADMIN_H

#include "slot_proto.h"

#define SLOT_ADDRESS_MAX 255 /* bytes of a member address */
#define SLOT_MEMBERS_MAX 16  /* members listed in a status */

enum slot_admin_op {
    SLOT_ADMIN_STATUS = 1,
    SLOT_ADMIN_ADD = 2,
    SLOT_ADMIN_ASSIGN = 3,
    SLOT_ADMIN_REMOVE = 4,
    SLOT_ADMIN_TRANSFER = 5,
    SLOT_ADMIN_LEAVE = 6,
};

enum slot_member_role {
    SLOT_ROLE_STANDBY = 0,
    SLOT_ROLE_VOTER = 1,
    SLOT_ROLE_SPARE = 2,
};
/* "standby" / "voter" / "spare", or NULL. */
const char *slot_member_role_name(int role);
/* The role for a name, or -1. */
int slot_member_role_from_name(const char *name);

struct slot_admin {
    uint8_t op;
    uint64_t id;                        /* ADD, ASSIGN, REMOVE, TRANSFER */
    char address[SLOT_ADDRESS_MAX + 1]; /* ADD */
    uint8_t role;                       /* ASSIGN */
    bool no_hash;                       /* STATUS */
};
int slot_admin_decode(struct mp_reader *r, struct slot_admin *a);
void slot_admin_encode(struct mp_buf *b, const struct slot_admin *a);

struct slot_member {
    uint64_t id;
    char address[SLOT_ADDRESS_MAX + 1];
    uint8_t role; /* enum slot_member_role */
};

struct slot_node_status {
    uint64_t id;
    char role[16];
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t leader_id; /* 0: none known */
    char address[SLOT_ADDRESS_MAX + 1];
    uint32_t n_members;
    struct slot_member members[SLOT_MEMBERS_MAX];
    uint64_t state_hash;
    uint64_t ledger_time_ms;
    uint64_t entries_applied;
    uint64_t commands_applied;
    /* raft's membership state (0 from a node that predates them) */
    uint64_t config_committed_index;
    uint64_t config_uncommitted_index; /* 0: no change in flight */
    uint64_t promotee_id;              /* 0: no promotion catching up */
    /* The commit path's stalls (issue 17): loop turns of at least
     * SLOT_STALL_US of callbacks without polling while this node led, and
     * the longest (0 from a node that predates them). */
    uint64_t leader_stalls;
    uint64_t leader_stall_max_us;
};

/* A leader's loop turn at least this long is a stall on the commit path:
 * every client and follower waits behind it. */
#define SLOT_STALL_US 5000
void slot_node_status_encode(struct mp_buf *b,
                             const struct slot_node_status *s);
int slot_node_status_decode(struct mp_reader *r, struct slot_node_status *s);

#endif /* SLOT_ADMIN_H */
