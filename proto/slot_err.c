#include "slot_err.h"

#include <string.h>

const char *slot_err_name(int code)
{
    switch (code) {
#define SLOT_ERR_NAME_(name, num, msg)                                         \
    case (num):                                                                \
        return #name;
        SLOT_ERR_MAP(SLOT_ERR_NAME_)
#undef SLOT_ERR_NAME_
    }
    return NULL;
}

const char *slot_err_message(int code)
{
    switch (code) {
#define SLOT_ERR_MSG_(name, num, msg)                                          \
    case (num):                                                                \
        return (msg);
        SLOT_ERR_MAP(SLOT_ERR_MSG_)
#undef SLOT_ERR_MSG_
    }
    return "unknown error";
}

int slot_err_from_name(const char *name)
{
#define SLOT_ERR_FROM_(n, num, msg)                                            \
    if (strcmp(name, #n) == 0) {                                               \
        return (num);                                                          \
    }
    SLOT_ERR_MAP(SLOT_ERR_FROM_)
#undef SLOT_ERR_FROM_
    return -1;
}
