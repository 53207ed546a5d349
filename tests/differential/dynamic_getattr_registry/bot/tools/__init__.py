import importlib


def registry(names):
    """The tool functions of this package's modules, found by name at run time."""
    found = {}
    for mod_name in ["web"]:
        module = importlib.import_module(f"{__name__}.{mod_name}")
        for name in names:
            func = getattr(module, name, None)
            if callable(func):
                found[name] = func
    return found
