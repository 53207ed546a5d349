def load():
    return "package"
