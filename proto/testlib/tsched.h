/* tsched: a sample hospital rule set for tests, fuzz seeds and benches, so
 * that they all exercise the same realistic rules (slot_sched.h).
 *
 * Beijing's usual rules, as the hospitals' booking pages describe them:
 * UTC+08:00; 09:00 opens the day 7 days ahead; online booking for tomorrow
 * closes at 15:00 today; the window books same-day without a cut-off;
 * doctors' workstations book 90 days ahead; 5 minutes to pay (15 at
 * most); "online" = app, wechat, bank, kiosk; special clinics only on the
 * app and at the window. No flow-back (callers add theirs).
 */
#ifndef SLOT_TSCHED_H
#define SLOT_TSCHED_H

#include <string.h>

#include "slot_proto.h"
#include "slot_sched.h"

static inline struct slot_rules tsched_beijing(void)
{
    struct slot_rules r;
    slot_rules_default(&r);
    r.utc_offset_min = 480;
    r.release_minute = 540;
    r.horizon_days = 7;
    r.cutoff_minute = 900;
    r.pay_ttl_ms = 300000;
    r.pay_ttl_max_ms = 900000;
    r.n_groups = 1;
    strcpy(r.groups[0].name, "online");
    r.groups[0].n = 4;
    strcpy(r.groups[0].channels[0], "app");
    strcpy(r.groups[0].channels[1], "wechat");
    strcpy(r.groups[0].channels[2], "bank");
    strcpy(r.groups[0].channels[3], "kiosk");
    r.n_policies = 2;
    r.policies[0] = (struct slot_policy){"window", 0, false, true};
    r.policies[1] = (struct slot_policy){"doctor", 90, false, true};
    r.n_elig = 1;
    r.elig[0].kind = SLOT_KIND_SPECIAL;
    r.elig[0].n = 2;
    strcpy(r.elig[0].names[0], "app");
    strcpy(r.elig[0].names[1], "window");
    return r;
}

#endif /* SLOT_TSCHED_H */
