#!/usr/bin/env python3
"""PCIe hot-plug of an assigned device through QMP, checked with QEMU's own client library (qemu.qmp).

    qmp-hotplug.py SOCKET HOST_BDF

Run by HotplugLabTest against machine-virt and against QEMU, both started with the same -S,
-device pcie-root-port,id=rp1,chassis=1,slot=1 and the PCI test guest (vfio4j_hotplug); it must pass on both.
The test and the script take turns: the script prints "QMP: ..." lines the test waits for, and reads one word
per step from stdin, which the test writes once the guest's console shows the step done.
  - prelaunch status, cont, RESUME; "ready": device_add refused on the root bus and on a bus that does not
    exist, device_del of an unknown id DeviceNotFound; "QMP: device_add", the host device added into rp1
  - "probed": query-pci lists it behind the root port; "io-done": system_reset, RESET (the device stays in its
    slot and the guest finds it as it boots)
  - "io-done" (the second boot's): "QMP: device_del", DEVICE_DELETED, "QMP: deleted"
  - "again": device_add once more, "QMP: device_add again"; the test unbinds vfio-pci on the host, which the VMM
    must turn into an unplug: a second DEVICE_DELETED, "QMP: deleted again"
  - "power": system_powerdown, POWERDOWN, and the guest's SHUTDOWN
It prints QMP-HOTPLUG-OK at the end. Every failure is an exception: a traceback and a non-zero status.
"""
import asyncio
import sys
import time

from qemu.qmp import ExecuteError, QMPClient

EVENT_LIMIT = 120


async def stdin_says(word):
    line = await asyncio.to_thread(sys.stdin.readline)
    assert line.strip() == word, f"expected {word!r} from the test, got {line!r}"


async def fails(qmp, error_class, cmd, args=None):
    try:
        await qmp.execute(cmd, args)
    except ExecuteError as e:
        assert e.error_class == error_class, f"{cmd}: {e.error_class}: {e}"
        print(f"QMP: {cmd} refused as expected: {e.error_class}: {e}", flush=True)
        return
    raise AssertionError(f"{cmd} {args} succeeded; expected {error_class}")


async def next_event(qmp, name):
    """The next event called NAME; a DEVICE_DELETED without a device id (a device's child object) is skipped."""
    while True:
        ev = await asyncio.wait_for(qmp.events.get(), EVENT_LIMIT)
        if ev['event'] == 'DEVICE_DELETED' and 'device' not in ev.get('data', {}):
            continue
        assert ev['event'] == name, f"expected {name}, got {ev}"
        assert ev['timestamp']['seconds'] > 0, ev
        return ev


def behind_root_port(buses, qdev_id):
    """The query-pci entry of QDEV_ID when it sits behind a bridge of bus 0, else None."""
    for d in buses[0]['devices']:
        bridge = d.get('pci_bridge')
        if not bridge:
            continue
        assert {'number', 'secondary', 'subordinate'} <= bridge['bus'].keys(), bridge
        for child in bridge.get('devices', []):
            if child.get('qdev_id') == qdev_id:
                assert child['bus'] == bridge['bus']['secondary'], (child, bridge)
                return child
    return None


async def main(path, host):
    qmp = QMPClient('lab')
    await qmp.connect(path)
    status = await qmp.execute('query-status')
    assert (status['status'], status['running']) == ('prelaunch', False), status
    await qmp.execute('cont')
    await next_event(qmp, 'RESUME')
    await stdin_says('ready')
    await fails(qmp, 'GenericError', 'device_add', {'driver': 'vfio-pci', 'host': host, 'id': 'hp0'})
    await fails(qmp, 'GenericError', 'device_add', {'driver': 'vfio-pci', 'host': host, 'id': 'hp0',
                                                    'bus': 'vfio4j-no-such-bus'})
    await fails(qmp, 'DeviceNotFound', 'device_del', {'id': 'vfio4j-no-such-device'})

    print("QMP: device_add", flush=True)
    started = time.monotonic()
    await qmp.execute('device_add', {'driver': 'vfio-pci', 'host': host, 'id': 'hp0', 'bus': 'rp1'})
    print(f"QMP: device_add returned in {(time.monotonic() - started) * 1000:.0f} ms", flush=True)
    await stdin_says('probed')
    child = behind_root_port(await qmp.execute('query-pci'), 'hp0')
    assert child is not None, "query-pci does not list hp0 behind a root port"
    assert (child['id']['vendor'], child['id']['device']) == (0x1b36, 0x0010), child
    print(f"QMP: query-pci lists hp0 at {child['bus']:02x}:{child['slot']:02x}.{child['function']}", flush=True)

    await stdin_says('io-done')
    print("QMP: system_reset", flush=True)
    await qmp.execute('system_reset')
    reset = await next_event(qmp, 'RESET')
    assert reset['data'] == {'guest': False, 'reason': 'host-qmp-system-reset'}, reset

    await stdin_says('io-done')
    print("QMP: device_del", flush=True)
    await qmp.execute('device_del', {'id': 'hp0'})
    deleted = await next_event(qmp, 'DEVICE_DELETED')
    assert deleted['data']['device'] == 'hp0', deleted
    print("QMP: deleted", flush=True)
    assert behind_root_port(await qmp.execute('query-pci'), 'hp0') is None, "hp0 is still listed"

    await stdin_says('again')
    await qmp.execute('device_add', {'driver': 'vfio-pci', 'host': host, 'id': 'hp0', 'bus': 'rp1'})
    print("QMP: device_add again", flush=True)
    deleted = await next_event(qmp, 'DEVICE_DELETED')   # the host's unbind asks for it: an unplug request
    assert deleted['data']['device'] == 'hp0', deleted
    print("QMP: deleted again", flush=True)

    await stdin_says('power')
    await qmp.execute('system_powerdown')
    await next_event(qmp, 'POWERDOWN')
    shutdown = await next_event(qmp, 'SHUTDOWN')
    assert shutdown['data'] == {'guest': True, 'reason': 'guest-shutdown'}, shutdown
    await qmp.disconnect()
    print("QMP-HOTPLUG-OK", flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2]))
