# The slot system user and group, shared by slotd and slot-gateway
# (included into both postinst scripts by node/deb/build.sh).
if ! getent passwd slot > /dev/null; then
    adduser --system --group --home /var/lib/slot --no-create-home \
        --gecos "slot ledger" --quiet slot
fi
