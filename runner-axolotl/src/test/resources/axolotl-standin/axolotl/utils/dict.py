"""axolotl's DictDefault: a dict whose missing keys read as None, also as attributes."""


class DictDefault(dict):
    def __getattr__(self, name):
        return self.get(name)

    def __missing__(self, key):
        return None
