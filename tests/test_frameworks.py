"""Views that a web or RPC framework runs on several threads (catalog ``[[framework]]``): the
catalog's typed records, what a module's summary lists, and the reports they lead to in the
view's module and in the modules its views call."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from concurlint.frameworks import Framework, FrameworkEntry, frameworks
from concurlint.model.catalog import load_catalog
from concurlint.summary import summarize
from concurlint.summary_threads import ThreadCatalog, ThreadStart, ThreadSummary, summarize_threads
from tests.project_reports import reports_by_line


def _summary(code: str, module: str = "app.views") -> ThreadSummary:
    tree = ast.parse(code)
    names = ThreadCatalog.from_catalog(load_catalog())
    summary = summarize_threads(tree, code, summarize(tree, module, False), names)
    assert summary is not None
    return summary


def test_every_framework_of_the_catalog_is_a_typed_record_with_its_reason() -> None:
    known = frameworks(load_catalog().section("framework"))
    assert {f.name for f in known} == {"gRPC", "FastAPI", "Flask", "Django"}
    assert all(f.why for f in known)


def test_an_unknown_key_in_a_framework_entry_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown key `decorator`"):
        Framework.from_catalog({"name": "Bottle", "why": "threads", "decorator": ["route"]})


GRPC = """\
from proto import hello_pb2_grpc

class Greeter(hello_pb2_grpc.GreeterServicer):
    def SayHello(self, request, context):
        return request

    def _helper(self):
        pass

class Plain:
    def Check(self, request, context):
        return request

def serve(server):
    hello_pb2_grpc.add_StatusServicer_to_server(Plain(), server)
"""


def test_summary_lists_servicer_methods_sharing_their_instance() -> None:
    assert _summary(GRPC).entries == (
        FrameworkEntry("Plain.Check", "gRPC", True),
        FrameworkEntry("Greeter.SayHello", "gRPC", True),
    )


def test_summary_lists_plain_def_path_operations_and_dependencies_only() -> None:
    code = (
        "from fastapi import Depends, FastAPI\nfrom app.deps import get_db\n\n"
        "app: Final = FastAPI()\n\n"
        "def settings():\n    return {}\n\n"
        "@app.get('/')\ndef index(s=Depends(settings), db=Depends(get_db)):\n    return s\n\n"
        "@app.get('/a')\nasync def later():\n    return 1\n\n"
        "@other.get('/b')\ndef unknown_object():\n    return 1\n"
    )
    summary = _summary(code)
    assert [e.qualname for e in summary.entries] == ["index", "settings"]
    assert summary.starts == (
        ThreadStart("app.deps.get_db", "run by FastAPI for each request", framework="FastAPI"),
    )


def test_summary_lists_django_class_views_not_sharing_their_instance() -> None:
    code = (
        "from django.views.generic import ListView\n\n"
        "class Items(ListView):\n    def get(self, request):\n        return 1\n\n"
        "    def helper(self):\n        return 2\n\n"
        "class More(Items):\n    def post(self, request):\n        return 1\n"
    )
    assert _summary(code).entries == (
        FrameworkEntry("Items.get", "Django", False),
        FrameworkEntry("More.post", "Django", False),
    )


HELPERS = """\
_cache = {}


def load(name):
    if name not in _cache:
        _cache[name] = object()
    return _cache[name]
"""


@pytest.mark.parametrize("views", [
    "from flask import Flask\n\nimport helpers\n\napp = Flask(__name__)\n\n\n"
    "@app.route('/')\ndef index():\n    return helpers.load('x')\n",
    "from django.views import View\n\nfrom helpers import load\n\n\n"
    "class Page(View):\n    def get(self, request):\n        return load('x')\n",
])
def test_a_helper_of_another_module_that_a_view_calls_runs_on_the_server_s_threads(
    tmp_path: Path, views: str
) -> None:
    files = {"helpers.py": HELPERS, "views.py": views}
    found = reports_by_line(tmp_path / "project", files, "helpers.py")
    assert found == {("CCL101", "_cache[name] = object()"): 1}
    alone = reports_by_line(tmp_path / "alone", {"helpers.py": HELPERS}, "helpers.py")
    assert not alone


def test_a_view_named_in_urlpatterns_of_another_module_runs_on_the_server_s_threads(
    tmp_path: Path,
) -> None:
    views = "hits = 0\n\n\ndef index(request):\n    global hits\n    hits += 1\n    return hits\n"
    urls = "from django.urls import path\n\nimport views\n\nurlpatterns = [path('', views.index)]\n"
    found = reports_by_line(tmp_path / "project", {"views.py": views, "urls.py": urls}, "views.py")
    assert found == {("CCL101", "hits += 1"): 1}


def test_a_helper_no_view_reaches_stays_silent(tmp_path: Path) -> None:
    views = (
        "from flask import Flask\n\nimport helpers\n\napp = Flask(__name__)\n\n\n"
        "def index():\n    return helpers.load('x')\n"
    )
    files = {"helpers.py": HELPERS, "views.py": views}
    assert not reports_by_line(tmp_path / "project", files, "helpers.py")
