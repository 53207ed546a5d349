import signal
import subprocess


def daemonize():
    # Children are reaped by the kernel: no zombies to wait for.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


async def restart():
    code = subprocess.check_call(["true"])
    result = subprocess.run(["sh", "-c", "echo ok"], capture_output=True, text=True)
    return code, result.returncode, result.stdout
