"""Sets up the components: a module of the package, not a packaging script."""


def setup_components():
    return ["db"]
