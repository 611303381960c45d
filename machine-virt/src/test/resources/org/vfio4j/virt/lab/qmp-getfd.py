#!/usr/bin/env python3
"""A privileged manager hot-plugs a device into an unprivileged, sandboxed VMM by handing it the device's cdev.

    qmp-getfd.py SOCKET CDEV

Run by IommufdAssignmentLabTest as root against machine-virt running as uid 1000 with no capabilities, which
could not open CDEV itself. On "ready" from stdin it opens CDEV, sends the descriptor over the socket with
SCM_RIGHTS (qemu.qmp's send_fd_scm), names it with getfd, closes its own copy and adds the device with
device_add driver=vfio-pci,fd=NAME,iommufd=iommufd0,bus=rp1, printing "QMP: device_add"; on "io-done" it presses
the power button and expects POWERDOWN and the guest's SHUTDOWN. It prints QMP-GETFD-OK at the end.
"""
import asyncio
import os
import sys

from qemu.qmp import ExecuteError, QMPClient


async def stdin_says(word):
    line = await asyncio.to_thread(sys.stdin.readline)
    assert line.strip() == word, f"expected {word!r} from the test, got {line!r}"


async def next_event(qmp, name):
    ev = await asyncio.wait_for(qmp.events.get(), 120)
    assert ev['event'] == name, f"expected {name}, got {ev}"
    return ev


async def main(path, cdev):
    qmp = QMPClient('manager')
    await qmp.connect(path)
    await stdin_says('ready')
    try:
        await qmp.execute('getfd', {'fdname': 'nvme'})
        raise AssertionError("getfd without a descriptor succeeded")
    except ExecuteError as e:
        assert e.error_class == 'GenericError', e
    fd = os.open(cdev, os.O_RDWR)
    qmp.send_fd_scm(fd)
    await qmp.execute('getfd', {'fdname': 'nvme'})
    os.close(fd)
    print("QMP: device_add", flush=True)
    await qmp.execute('device_add', {'driver': 'vfio-pci', 'fd': 'nvme', 'iommufd': 'iommufd0', 'bus': 'rp1',
                                     'id': 'hp0'})
    await stdin_says('io-done')
    await qmp.execute('system_powerdown')
    await next_event(qmp, 'POWERDOWN')
    shutdown = await next_event(qmp, 'SHUTDOWN')
    assert shutdown['data'] == {'guest': True, 'reason': 'guest-shutdown'}, shutdown
    await qmp.disconnect()
    print("QMP-GETFD-OK", flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2]))
