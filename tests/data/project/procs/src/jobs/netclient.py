"""Imports `requests` at import time, and with it `ssl`: gevent cannot patch ssl's classes
once they are imported."""
import requests


def fetch(url):
    return requests.get(url, timeout=5).text
