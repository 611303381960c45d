#!/usr/bin/env python3
"""The QMP life cycle of a machine started with -S, checked with QEMU's own client library (qemu.qmp).

    qmp-lifecycle.py SOCKET

Run by QmpLabTest against machine-virt and against QEMU with the same options; it must pass on both. It
checks the greeting, the paused start, errors, cont, query-pci's shape, stop and cont again, system_reset with
its RESET event and the guest's second boot, and system_powerdown: its POWERDOWN event, then the guest's own
power-off and its SHUTDOWN event.
It prints "QMP: cont" just before sending cont (the test times cont to the guest's marker from there), then
waits for a line on stdin saying the guest's marker appeared; after system_reset it waits for a second such
line. It prints QMP-LIFECYCLE-OK at the end.
Every failure is an exception: a traceback and a non-zero status.
"""
import asyncio
import sys

from qemu.qmp import ExecuteError, QMPClient

EVENT_LIMIT = 60


async def event(qmp, name):
    """The next event, which must be NAME (no other event is expected in between here)."""
    ev = await asyncio.wait_for(qmp.events.get(), EVENT_LIMIT)
    assert ev['event'] == name, f"expected {name}, got {ev}"
    assert ev['timestamp']['seconds'] > 0, ev
    return ev


async def status(qmp):
    s = await qmp.execute('query-status')
    return s['status'], s['running']


async def fails(qmp, error_class, cmd, args=None):
    try:
        await qmp.execute(cmd, args)
    except ExecuteError as e:
        assert e.error_class == error_class, f"{cmd}: {e.error_class}: {e}"
        return
    raise AssertionError(f"{cmd} {args} succeeded; expected {error_class}")


async def main(path):
    qmp = QMPClient('lab')
    await qmp.connect(path)
    version = qmp.greeting.QMP.version['qemu']
    print(f"QMP: connected, QEMU dialect {version['major']}.{version['minor']}", flush=True)
    assert version['major'] >= 10, version
    assert await status(qmp) == ('prelaunch', False), await status(qmp)
    names = {c['name'] for c in await qmp.execute('query-commands')}
    assert {'query-status', 'query-version', 'stop', 'cont', 'quit', 'system_powerdown'} <= names, names
    await fails(qmp, 'CommandNotFound', 'vfio4j-no-such-command')
    await fails(qmp, 'GenericError', 'stop', {'vfio4j-no-such-argument': 1})

    print("QMP: cont", flush=True)
    await qmp.execute('cont')
    await event(qmp, 'RESUME')
    assert await status(qmp) == ('running', True)
    line = await asyncio.to_thread(sys.stdin.readline)
    assert line.strip() == 'marker', f"the test did not see the guest's marker: {line!r}"

    buses = await qmp.execute('query-pci')
    assert [b['bus'] for b in buses] == [0], buses
    for d in buses[0]['devices']:   # QEMU lists its host bridge; machine-virt has none and this guest no device
        assert {'bus', 'slot', 'function', 'class_info', 'id', 'irq_pin', 'qdev_id', 'regions'} <= d.keys(), d
        assert {'vendor', 'device'} <= d['id'].keys() and 'class' in d['class_info'], d
        for r in d['regions']:
            assert {'bar', 'type', 'address', 'size'} <= r.keys() and r['type'] in ('io', 'memory'), r
    print(f"QMP: query-pci lists {len(buses[0]['devices'])} device(s)", flush=True)

    await qmp.execute('stop')
    await event(qmp, 'STOP')
    assert await status(qmp) == ('paused', False)
    await qmp.execute('cont')
    await event(qmp, 'RESUME')
    assert await status(qmp) == ('running', True)

    print("QMP: system_reset", flush=True)
    await qmp.execute('system_reset')
    reset = await event(qmp, 'RESET')
    assert reset['data'] == {'guest': False, 'reason': 'host-qmp-system-reset'}, reset
    line = await asyncio.to_thread(sys.stdin.readline)
    assert line.strip() == 'marker', f"the test did not see the guest boot again: {line!r}"
    assert await status(qmp) == ('running', True)

    await qmp.execute('system_powerdown')
    await event(qmp, 'POWERDOWN')
    shutdown = await event(qmp, 'SHUTDOWN')
    assert shutdown['data'] == {'guest': True, 'reason': 'guest-shutdown'}, shutdown
    await qmp.disconnect()
    print("QMP-LIFECYCLE-OK", flush=True)


asyncio.run(main(sys.argv[1]))
