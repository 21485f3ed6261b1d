# plinth-build's PEP 517 driver. Run by the build environment's interpreter with the
# project directory as the working directory:
#
#     python -u driver.py INPUT.json
#
# INPUT.json: {"hook": "get_requires" | "metadata", "backend": "module:object",
#              "backend_path": [absolute dirs], "output_dir": dir, "result": file,
#              "hook_file": file, "installed": [requirements]}
#
# Writes the name of the hook it is about to call to `hook_file`, then its answer as
# JSON to `result`:
#   get_requires: {"requires": [...]}      (get_requires_for_build_wheel, [] when absent)
#   metadata:     {"metadata": path}       (prepare_metadata_for_build_wheel)
#              or {"wheel": path}          (build_wheel, when the backend has no prepare hook)
# A failing hook raises: the traceback goes to stderr and the exit code is not 0.
#
# On Linux, each hook runs in a child forked after the backend is
# imported, so that it starts from a fresh process state as PEP 517 asks, and
# `get_requires` goes on to the metadata hook when it asks for nothing beyond the
# requirements listed as `installed`: its result then has both answers. This saves
# a second interpreter start and backend import per build.

import importlib
import json
import os
import signal
import sys
import threading
import time
import warnings


def watch_parent(workspace):
    # plinth starts this process in its own process group, so a Ctrl-C or a kill of plinth
    # does not reach it. When plinth goes away (we are re-parented), remove the build's
    # temporary directory, which plinth can no longer remove, and end the whole group.
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            try:
                import shutil

                if os.path.basename(workspace).startswith("plinth-build-"):
                    shutil.rmtree(workspace, ignore_errors=True)
                os.killpg(os.getpgid(0), signal.SIGKILL)
            finally:
                os._exit(1)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file)


def load_backend(spec, backend_path):
    module_name, _, object_path = spec.partition(":")
    module_name = module_name.strip()
    if backend_path:
        sys.path[:0] = backend_path
    try:
        backend = importlib.import_module(module_name)
    except Exception:
        import traceback

        traceback.print_exc()
        sys.stderr.write("plinth: cannot import the build backend `%s`\n" % spec)
        sys.exit(3)
    if backend_path:
        # PEP 517: an in-tree backend must be loaded from `backend-path`.
        location = os.path.normcase(os.path.realpath(getattr(backend, "__file__", None) or ""))
        roots = [os.path.normcase(os.path.realpath(path)) for path in backend_path]
        if not any(location.startswith(root + os.sep) for root in roots):
            sys.stderr.write(
                "plinth: the build backend `%s` was loaded from `%s`, outside `backend-path`\n"
                % (spec, location)
            )
            sys.exit(3)
    for name in filter(None, object_path.strip().split(".")):
        backend = getattr(backend, name)
    return backend


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        config = json.load(file)
    if os.name == "posix":
        workspace = os.path.dirname(os.path.abspath(__file__))
        threading.Thread(target=watch_parent, args=(workspace,), daemon=True).start()
    # The driver's own directory is not part of the project.
    if sys.path and os.path.realpath(sys.path[0]) == os.path.realpath(os.path.dirname(__file__)):
        del sys.path[0]

    backend = load_backend(config["backend"], config["backend_path"])

    def call(name, hook, *arguments):
        write_json(config["hook_file"], {"hook": name})
        try:
            return hook(*arguments)
        except BaseException:
            # The backend's frames only: the driver's are noise in an error message.
            import traceback

            kind, value, trace = sys.exc_info()
            traceback.print_exception(kind, value, trace.tb_next)
            sys.exit(1)

    def get_requires():
        hook = getattr(backend, "get_requires_for_build_wheel", None)
        requires = []
        if hook is not None:
            returned = call("get_requires_for_build_wheel", hook, None)
            requires = [str(requirement) for requirement in returned]
        return {"requires": requires}

    def metadata():
        output_dir = config["output_dir"]
        hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
        if hook is not None:
            name = call("prepare_metadata_for_build_wheel", hook, output_dir, None)
            return {"metadata": os.path.join(output_dir, name, "METADATA")}
        name = call("build_wheel", backend.build_wheel, output_dir, None)
        return {"wheel": os.path.join(output_dir, name)}

    hooks = {"get_requires": get_requires, "metadata": metadata}
    if config["hook"] not in hooks:
        sys.stderr.write("plinth: unknown hook %r\n" % config["hook"])
        sys.exit(3)
    # Only on Linux: macOS may abort a child forked after system frameworks
    # were loaded (by the backend's imports), and Windows has no fork.
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        write_json(config["result"], hooks[config["hook"]]())
        return
    result = in_child(hooks[config["hook"]])
    if config["hook"] == "get_requires" and all(
        requirement in config.get("installed", []) for requirement in result["requires"]
    ):
        result.update(in_child(metadata))
    write_json(config["result"], result)


def in_child(hook):
    # Runs `hook` in a forked child and returns its answer; the child's failure
    # ends this process with the child's exit code (its traceback is on stderr).
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        # Python 3.12+ warns of forking with threads running: ours only sleeps.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:
        os.close(read_end)
        code = 0
        try:
            answer = json.dumps(hook()).encode("utf-8")
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(answer)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        signal_number = os.WTERMSIG(status)
        sys.stderr.write("plinth: the hook was killed by signal %d\n" % signal_number)
        sys.exit(128 + signal_number)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
    if code != 0 or not answer:
        sys.exit(code if code > 0 else 1)
    return json.loads(answer.decode("utf-8"))


if __name__ == "__main__":
    main()
