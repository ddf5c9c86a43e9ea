"""The template's options and their supported combinations, read from cookiecutter.json.

The one table the tests and the bench take their renders from: a scheduler
added to cookiecutter.json's ``_schedulers`` is rendered, linted and run
everywhere without another list to edit.
"""

import itertools
import json
from pathlib import Path

from jinja2 import Environment

TEMPLATE = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# Each scheduler, and the web frameworks it works with.
SCHEDULERS: dict[str, list[str]] = COOKIECUTTER_JSON["_schedulers"]
WEB_FRAMEWORKS: list[str] = COOKIECUTTER_JSON["web_framework"]
# What the tests and the bench call each web framework.
FLAVOURS = {"none": "plain", "django": "django"}
YES_NO = ["y", "n"]


def default_scheduler(web_framework: str) -> str:
    """The scheduler a render gets when none is given: cookiecutter.json's own default."""
    default = Environment().from_string(COOKIECUTTER_JSON["scheduler"])
    return default.render(cookiecutter={"web_framework": web_framework})


def chosen_scheduler(answers: dict[str, str]) -> str:
    """The scheduler a render with ``answers`` gets."""
    framework = answers.get("web_framework", WEB_FRAMEWORKS[0])
    return answers.get("scheduler") or default_scheduler(framework)


def flavours_and_schedulers() -> dict[str, dict[str, str]]:
    """Every supported web framework and scheduler, as answers, by name ("django-redis")."""
    return {
        f"{FLAVOURS[framework]}-{scheduler}": {"web_framework": framework, "scheduler": scheduler}
        for framework in WEB_FRAMEWORKS
        for scheduler, frameworks in SCHEDULERS.items()
        if framework in frameworks
    }


def flavour_defaults() -> dict[str, dict[str, str]]:
    """Each flavour with its default scheduler, as answers, by flavour ("plain", "django")."""
    return {
        FLAVOURS[framework]: {
            "web_framework": framework,
            "scheduler": default_scheduler(framework),
        }
        for framework in WEB_FRAMEWORKS
    }


def scheduler_defaults() -> dict[str, dict[str, str]]:
    """Each scheduler, in the first flavour that has it by default (or at all), as answers."""
    renders = {}
    for scheduler, frameworks in SCHEDULERS.items():
        by_default = [name for name in frameworks if default_scheduler(name) == scheduler]
        framework = (by_default or frameworks)[0]
        renders[scheduler] = {"web_framework": framework, "scheduler": scheduler}
    return renders


def default_yes_no(option: str) -> str:
    """A yes/no option's default, as answered on the command line: "y" or "n"."""
    return "y" if COOKIECUTTER_JSON[option] else "n"


def kubernetes_renders() -> dict[str, dict[str, str]]:
    """The renders with Kubernetes manifests the tests check, as answers, by name.

    One per thing that changes the manifests: the flavour (Django adds the
    migrate Job and its secrets) and Flower; the last without compose and
    Heroku, as a team that deploys on Kubernetes alone would answer.
    """
    return {
        "kubernetes": {"use_kubernetes": "y"},
        "kubernetes-django": {**flavour_defaults()["django"], "use_kubernetes": "y"},
        "kubernetes-bare": {
            "use_kubernetes": "y",
            "use_flower": "n",
            "use_docker": "n",
            "use_heroku": "n",
        },
    }


def every_combination():
    """Answers for every combination of the options that change what is rendered."""
    for answers in flavours_and_schedulers().values():
        for flower, docker, heroku, kubernetes, ci in itertools.product(
            YES_NO, YES_NO, YES_NO, YES_NO, COOKIECUTTER_JSON["ci"]
        ):
            yield {
                **answers,
                "use_flower": flower,
                "use_docker": docker,
                "use_heroku": heroku,
                "use_kubernetes": kubernetes,
                "ci": ci,
            }
