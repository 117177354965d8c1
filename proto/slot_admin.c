#include "slot_admin.h"

#include <string.h>

static const char *const roleNames[] = {"standby", "voter", "spare"};

const char *slot_member_role_name(int role)
{
    return role >= 0 && role <= SLOT_ROLE_SPARE ? roleNames[role] : NULL;
}

int slot_member_role_from_name(const char *name)
{
    for (int i = 0; i <= SLOT_ROLE_SPARE; i++) {
        if (strcmp(name, roleNames[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* Copies a string of at most cap-1 bytes with no NUL inside. */
static bool readCopy(struct mp_reader *r, char *dst, size_t cap)
{
    struct slot_str s;
    if (!mp_read_str(r, (uint32_t)(cap - 1), &s)) {
        return false;
    }
    if (memchr(s.p, '\0', s.len) != NULL) {
        r->err = SLOT_INVALID_ARGUMENT;
        return false;
    }
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return true;
}

static int err(const struct mp_reader *r)
{
    return r->err != 0 ? r->err : SLOT_MALFORMED;
}

int slot_admin_decode(struct mp_reader *r, struct slot_admin *a)
{
    static const uint32_t fields[] = {0, 1, 3, 3, 2, 2, 2};
    uint32_t n;
    uint64_t op, role;
    memset(a, 0, sizeof *a);
    if (!mp_read_array(r, &n) || n < 1 || !mp_read_uint(r, 255, &op)) {
        return err(r);
    }
    if (op < SLOT_ADMIN_STATUS || op > SLOT_ADMIN_LEAVE) {
        return SLOT_UNKNOWN_OP;
    }
    /* STATUS may carry one optional flag: [1, no_hash]. */
    if (n != fields[op] && !(op == SLOT_ADMIN_STATUS && n == 2)) {
        return SLOT_MALFORMED;
    }
    a->op = (uint8_t)op;
    if (op == SLOT_ADMIN_STATUS) {
        if (n == 2 && !mp_read_bool(r, &a->no_hash)) {
            return err(r);
        }
        return SLOT_OK;
    }
    if (n >= 2 && !mp_read_u64(r, &a->id)) {
        return err(r);
    }
    if (op == SLOT_ADMIN_ADD && (!readCopy(r, a->address, sizeof a->address) ||
                                 a->address[0] == '\0')) {
        return r->err != 0 ? r->err : SLOT_INVALID_ARGUMENT;
    }
    if (op == SLOT_ADMIN_ASSIGN) {
        if (!mp_read_uint(r, SLOT_ROLE_SPARE, &role)) {
            return err(r);
        }
        a->role = (uint8_t)role;
    }
    if (op != SLOT_ADMIN_STATUS && op != SLOT_ADMIN_TRANSFER && a->id == 0) {
        return SLOT_INVALID_ARGUMENT;
    }
    return SLOT_OK;
}

void slot_admin_encode(struct mp_buf *b, const struct slot_admin *a)
{
    switch (a->op) {
        case SLOT_ADMIN_STATUS:
            mp_pack_array(b, a->no_hash ? 2 : 1);
            mp_pack_uint(b, a->op);
            if (a->no_hash) {
                mp_pack_bool(b, true);
            }
            return;
        case SLOT_ADMIN_ADD:
            mp_pack_array(b, 3);
            mp_pack_uint(b, a->op);
            mp_pack_uint(b, a->id);
            mp_pack_cstr(b, a->address);
            return;
        case SLOT_ADMIN_ASSIGN:
            mp_pack_array(b, 3);
            mp_pack_uint(b, a->op);
            mp_pack_uint(b, a->id);
            mp_pack_uint(b, a->role);
            return;
        default:
            mp_pack_array(b, 2);
            mp_pack_uint(b, a->op);
            mp_pack_uint(b, a->id);
            return;
    }
}

#define STATUS_FIELDS     17
#define STATUS_FIELDS_MID 15 /* before the stall fields */
#define STATUS_FIELDS_OLD 12 /* before the membership fields */

void slot_node_status_encode(struct mp_buf *b, const struct slot_node_status *s)
{
    mp_pack_array(b, STATUS_FIELDS);
    mp_pack_uint(b, s->id);
    mp_pack_cstr(b, s->role);
    mp_pack_uint(b, s->term);
    mp_pack_uint(b, s->commit_index);
    mp_pack_uint(b, s->applied_index);
    mp_pack_uint(b, s->leader_id);
    mp_pack_cstr(b, s->address);
    mp_pack_array(b, s->n_members);
    for (uint32_t i = 0; i < s->n_members; i++) {
        mp_pack_array(b, 3);
        mp_pack_uint(b, s->members[i].id);
        mp_pack_cstr(b, s->members[i].address);
        mp_pack_uint(b, s->members[i].role);
    }
    mp_pack_uint(b, s->state_hash);
    mp_pack_uint(b, s->ledger_time_ms);
    mp_pack_uint(b, s->entries_applied);
    mp_pack_uint(b, s->commands_applied);
    mp_pack_uint(b, s->config_committed_index);
    mp_pack_uint(b, s->config_uncommitted_index);
    mp_pack_uint(b, s->promotee_id);
    mp_pack_uint(b, s->leader_stalls);
    mp_pack_uint(b, s->leader_stall_max_us);
}

int slot_node_status_decode(struct mp_reader *r, struct slot_node_status *s)
{
    uint32_t n, fields;
    memset(s, 0, sizeof *s);
    if (!mp_read_array(r, &fields)) {
        return err(r);
    }
    if (fields != STATUS_FIELDS && fields != STATUS_FIELDS_MID &&
        fields != STATUS_FIELDS_OLD) {
        return SLOT_MALFORMED;
    }
    bool ok =
        mp_read_u64(r, &s->id) && readCopy(r, s->role, sizeof s->role) &&
        mp_read_u64(r, &s->term) && mp_read_u64(r, &s->commit_index) &&
        mp_read_u64(r, &s->applied_index) && mp_read_u64(r, &s->leader_id) &&
        readCopy(r, s->address, sizeof s->address) && mp_read_array(r, &n);
    if (!ok) {
        return err(r);
    }
    if (n > SLOT_MEMBERS_MAX) {
        return SLOT_TOO_LARGE;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t role;
        struct slot_member *m = &s->members[i];
        if (!mp_expect_array(r, 3) || !mp_read_u64(r, &m->id) ||
            !readCopy(r, m->address, sizeof m->address) ||
            !mp_read_uint(r, SLOT_ROLE_SPARE, &role)) {
            return err(r);
        }
        m->role = (uint8_t)role;
    }
    s->n_members = n;
    ok = mp_read_u64(r, &s->state_hash) && mp_read_u64(r, &s->ledger_time_ms) &&
         mp_read_u64(r, &s->entries_applied) &&
         mp_read_u64(r, &s->commands_applied);
    if (ok && fields >= STATUS_FIELDS_MID) {
        ok = mp_read_u64(r, &s->config_committed_index) &&
             mp_read_u64(r, &s->config_uncommitted_index) &&
             mp_read_u64(r, &s->promotee_id);
    }
    if (ok && fields == STATUS_FIELDS) {
        ok = mp_read_u64(r, &s->leader_stalls) &&
             mp_read_u64(r, &s->leader_stall_max_us);
    }
    return ok ? SLOT_OK : err(r);
}
