"""The plugin interface of axolotl 0.18 (the parts the SDK uses), for tests."""
import collections
import importlib


class BasePlugin:
    def register(self, cfg):
        pass

    def get_input_args(self):
        return None

    def add_callbacks_pre_trainer(self, cfg, model):
        return []

    def add_callbacks_post_trainer(self, cfg, trainer):
        return []

    def post_train(self, cfg, model):
        pass

    def post_train_unload(self, cfg):
        pass


def load_plugin(plugin_name):
    module_name, class_name = plugin_name.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), class_name)()


class PluginManager:
    _instance = None

    def __init__(self):
        self.plugins = collections.OrderedDict()

    @staticmethod
    def get_instance():
        if PluginManager._instance is None:
            PluginManager._instance = PluginManager()
        return PluginManager._instance

    def register(self, plugin_name):
        self.plugins[plugin_name] = load_plugin(plugin_name)

    def add_callbacks_post_trainer(self, cfg, trainer):
        callbacks = []
        for plugin in self.plugins.values():
            callbacks.extend(plugin.add_callbacks_post_trainer(cfg, trainer) or [])
        return callbacks

    def post_train(self, cfg, model):
        for plugin in self.plugins.values():
            plugin.post_train(cfg, model)

    def post_train_unload(self, cfg):
        for plugin in self.plugins.values():
            plugin.post_train_unload(cfg)
