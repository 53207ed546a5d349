class _AsyncSubprocess:
    """subprocess's `run`, `call`, `check_call`, `check_output`, `getoutput` and
    `getstatusoutput` on asyncio subprocesses, with the same values, exceptions and
    timeouts (CPython 3.11+). Where asyncio cannot reproduce them exactly (Windows, an older
    Python, an event loop that is not asyncio's, a shell command given as a list), the
    subprocess function runs in a thread instead. A cancelled call kills the child."""

    @staticmethod
    def _native(args, kwargs):
        import asyncio, os, sys
        return (
            sys.platform != "win32"
            and sys.version_info >= (3, 11)
            and not sys.flags.warn_default_encoding
            and isinstance(asyncio.get_running_loop(), asyncio.BaseEventLoop)
            and "bufsize" not in kwargs
            and "args" not in kwargs
            and (
                isinstance(args, (str, bytes))
                or not kwargs.get("shell")
                and (isinstance(args, os.PathLike) or isinstance(args, (list, tuple)) and args)
            )
        )

    @staticmethod
    async def _spawn(args, kwargs):
        import asyncio, io, locale, os, subprocess, sys
        kwargs = dict(kwargs)
        shell = kwargs.pop("shell", False)
        text = kwargs.pop("text", None)
        universal_newlines = kwargs.pop("universal_newlines", None)
        encoding = kwargs.pop("encoding", None)
        errors = kwargs.pop("errors", None)
        if text is not None and universal_newlines is not None:
            if bool(universal_newlines) != bool(text):
                raise subprocess.SubprocessError(
                    "Cannot disambiguate when both text and universal_newlines are "
                    "supplied but different. Pass one or the other."
                )
        # Text mode: the encoding and errors of subprocess's pipe wrappers.
        codecs = {}
        if encoding or errors or text or universal_newlines:
            if encoding is None:
                encoding = "utf-8" if sys.flags.utf8_mode else locale.getencoding()
            for name in ("stdin", "stdout", "stderr"):
                if kwargs.get(name) == subprocess.PIPE:
                    wrapper = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors)
                    codecs[name] = (wrapper.encoding, wrapper.errors)
        if shell:
            proc = await asyncio.create_subprocess_shell(args, **kwargs)
        elif isinstance(args, (str, bytes, os.PathLike)):
            proc = await asyncio.create_subprocess_exec(args, **kwargs)
        else:
            proc = await asyncio.create_subprocess_exec(*args, **kwargs)
        return proc, codecs

    @staticmethod
    async def _wait(proc, timeout):
        import asyncio
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except asyncio.TimeoutError:
                return False
        return True

    @staticmethod
    async def _kill(proc, tasks=()):
        for task in tasks:
            task.cancel()
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        await proc.wait()

    @staticmethod
    async def run(args, *, input=None, capture_output=False, timeout=None, check=False, **kwargs):
        import asyncio, io, subprocess, time
        if not _AsyncSubprocess._native(args, kwargs):
            return await asyncio.to_thread(
                subprocess.run, args, input=input, capture_output=capture_output,
                timeout=timeout, check=check, **kwargs
            )
        if input is not None:
            if kwargs.get("stdin") is not None:
                raise ValueError("stdin and input arguments may not both be used.")
            kwargs["stdin"] = subprocess.PIPE
        if capture_output:
            if kwargs.get("stdout") is not None or kwargs.get("stderr") is not None:
                raise ValueError(
                    "stdout and stderr arguments may not be used with capture_output."
                )
            kwargs["stdout"] = subprocess.PIPE
            kwargs["stderr"] = subprocess.PIPE
        proc, codecs = await _AsyncSubprocess._spawn(args, kwargs)
        endtime = None if timeout is None else time.monotonic() + timeout
        # Like subprocess: one pipe without a timeout goes through a text wrapper; otherwise
        # the pipes are read by chunks, decoded at the end, and input is encoded up front.
        pipes = [pipe for pipe in (proc.stdin, proc.stdout, proc.stderr) if pipe]
        simple = timeout is None and len(pipes) <= 1
        out = [] if proc.stdout else None
        err = [] if proc.stderr else None

        async def feed(data):
            try:
                if data:
                    proc.stdin.write(data)
                    await proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass
            proc.stdin.close()

        async def read(stream, chunks):
            while True:
                chunk = await stream.read(32768)
                chunks.append(chunk)
                if not chunk:
                    break

        def decode(data, codec):
            if simple:
                return io.TextIOWrapper(io.BytesIO(data), encoding=codec[0], errors=codec[1]).read()
            return data.decode(*codec).replace("\r\n", "\n").replace("\r", "\n")

        tasks = []
        try:
            data = input
            if data and "stdin" in codecs and simple:
                wrapper = io.TextIOWrapper(
                    io.BytesIO(), encoding=codecs["stdin"][0], errors=codecs["stdin"][1],
                    write_through=True
                )
                wrapper.write(data)
                data = wrapper.detach().getvalue()
            elif data and "stdin" in codecs:
                data = data.encode(*codecs["stdin"])
            elif data:
                # subprocess's check that the input is a bytes-like object.
                io.BytesIO().write(data) if simple else memoryview(data)
            if proc.stdin:
                tasks.append(asyncio.ensure_future(feed(data)))
            if proc.stdout:
                tasks.append(asyncio.ensure_future(read(proc.stdout, out)))
            if proc.stderr:
                tasks.append(asyncio.ensure_future(read(proc.stderr, err)))
            if tasks:
                remaining = None if endtime is None else endtime - time.monotonic()
                done, pending = set(), set(tasks)
                if remaining is None or remaining >= 0:
                    done, pending = await asyncio.wait(
                        tasks, timeout=remaining, return_when=asyncio.FIRST_EXCEPTION
                    )
                for task in done:
                    task.result()
                if pending:
                    raise subprocess.TimeoutExpired(
                        args, timeout,
                        output=b"".join(out) if out else None,
                        stderr=b"".join(err) if err else None,
                    )
            if endtime is not None:
                remaining = endtime - time.monotonic()
                if not await _AsyncSubprocess._wait(proc, remaining):
                    raise subprocess.TimeoutExpired(args, remaining)
            await proc.wait()
            stdout = None if out is None else b"".join(out)
            stderr = None if err is None else b"".join(err)
            if stdout is not None and "stdout" in codecs:
                stdout = decode(stdout, codecs["stdout"])
            if stderr is not None and "stderr" in codecs:
                stderr = decode(stderr, codecs["stderr"])
        except BaseException:
            await _AsyncSubprocess._kill(proc, tasks)
            raise
        if check and proc.returncode:
            raise subprocess.CalledProcessError(
                proc.returncode, args, output=stdout, stderr=stderr
            )
        return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)

    @staticmethod
    async def call(args, *, timeout=None, **kwargs):
        import asyncio, subprocess
        # subprocess.call never reads its pipes: those run in a thread.
        pipes = [kwargs.get(name) for name in ("stdin", "stdout", "stderr")]
        if not _AsyncSubprocess._native(args, kwargs) or subprocess.PIPE in pipes:
            return await asyncio.to_thread(subprocess.call, args, timeout=timeout, **kwargs)
        proc, _ = await _AsyncSubprocess._spawn(args, kwargs)
        try:
            if not await _AsyncSubprocess._wait(proc, timeout):
                raise subprocess.TimeoutExpired(args, timeout)
        except BaseException:
            await _AsyncSubprocess._kill(proc)
            raise
        return proc.returncode

    @staticmethod
    async def check_call(args, **kwargs):
        import subprocess
        retcode = await _AsyncSubprocess.call(args, **kwargs)
        if retcode:
            raise subprocess.CalledProcessError(retcode, args)
        return 0

    @staticmethod
    async def check_output(args, *, timeout=None, **kwargs):
        import subprocess
        for kw in ("stdout", "check"):
            if kw in kwargs:
                raise ValueError(f"{kw} argument not allowed, it will be overridden.")
        if "input" in kwargs and kwargs["input"] is None:
            text = kwargs.get("universal_newlines") or kwargs.get("text")
            if text or kwargs.get("encoding") or kwargs.get("errors"):
                kwargs["input"] = ""
            else:
                kwargs["input"] = b""
        completed = await _AsyncSubprocess.run(
            args, stdout=subprocess.PIPE, timeout=timeout, check=True, **kwargs
        )
        return completed.stdout

    @staticmethod
    async def getstatusoutput(cmd, *, encoding=None, errors=None):
        import subprocess
        try:
            data = await _AsyncSubprocess.check_output(
                cmd, shell=True, text=True, stderr=subprocess.STDOUT, encoding=encoding,
                errors=errors
            )
            exitcode = 0
        except subprocess.CalledProcessError as ex:
            data = ex.output
            exitcode = ex.returncode
        if data[-1:] == "\n":
            data = data[:-1]
        return exitcode, data

    @staticmethod
    async def getoutput(cmd, *, encoding=None, errors=None):
        status = await _AsyncSubprocess.getstatusoutput(cmd, encoding=encoding, errors=errors)
        return status[1]
