"""The rate limit holds under concurrency: 20 calls at once with a limit of 5 let exactly 5 through."""

from __future__ import annotations

import threading

import requests

from hub.api.models import ApiKey


def test_twenty_concurrent_calls_with_a_limit_of_five_let_exactly_five_through(live_server, keys):
    ApiKey.objects.filter(pk=keys.rows["acme"].pk).update(rate_limit_per_minute=5)
    url = f"{live_server.url}/api/v1/flows/"
    headers = keys.header("acme_orders")
    count = 20
    barrier = threading.Barrier(count)
    answers: list[requests.Response | None] = [None] * count

    def call(index: int) -> None:
        barrier.wait()
        answers[index] = requests.get(url, headers=headers, timeout=30)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = [answer.status_code for answer in answers if answer is not None]
    assert codes.count(200) == 5, codes
    assert codes.count(429) == 15, codes
    limited = next(answer for answer in answers if answer is not None and answer.status_code == 429)
    assert int(limited.headers["Retry-After"]) == 30  # the rest of the minute
