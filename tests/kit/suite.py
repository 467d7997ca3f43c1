def generate(metafunc):
    pass
