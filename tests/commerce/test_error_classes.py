"""Commerce's errors live in one module, ``campus.commerce.exceptions``: their codes are the
contract clients switch on, and one place lists them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import campus.commerce
from campus.kernel.errors import AppError


def test_every_commerce_error_class_is_defined_in_the_exceptions_module() -> None:
    scattered: list[str] = []
    for info in pkgutil.walk_packages(campus.commerce.__path__, "campus.commerce."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, AppError)
                and value.__module__ == info.name
                and info.name != "campus.commerce.exceptions"
            ):
                scattered.append(f"{info.name}.{name}")
    assert scattered == []
