"""Provider faults, each through the real window against both fake servers.

Every row: the run does not die and the window does not freeze; the person reads what happened
in a sentence naming the cause; what was done so far is kept (the paused run goes on with Retry,
a report's text so far stays in view); and the key in use never shows (checked after each test
in everything the window shows and in the log).
"""

from __future__ import annotations

from fault_driver import GOOD_NOTES, GOOD_REPORT, Faulty

# ----- the server refuses ----------------------------------------------------------------------


def test_401_says_the_key_was_refused_never_shows_it_and_retry_goes_on(faulty: Faulty) -> None:
    faulty.fake.default = faulty.error(401, "invalid_api_key", f"Incorrect API key provided: {faulty.key}")
    faulty.app.run()
    problem = faulty.app.problem()
    assert "refused the API key" in problem and "Check the API key in Settings" in problem
    assert len(faulty.fake.requests) == 1  # a retry cannot fix a key
    faulty.good()
    faulty.app.retry()
    faulty.app.review(1)


def test_unknown_model_names_the_model(faulty: Faulty) -> None:
    faulty.fake.default = (faulty.error(400, "InvalidParameter", "Model not exist.")
                           if faulty.name == "dashscope" else
                           faulty.error(404, "model_not_found", "The model `fault-model` does not exist."))
    faulty.app.run()
    problem = faulty.app.problem()
    assert "has no model named" in problem and "Pick another model in Settings" in problem
    assert len(faulty.fake.requests) == 1


def test_429_twice_is_retried_and_the_run_goes_on(faulty: Faulty) -> None:
    faulty.fake.replies = [faulty.error(429, "Throttling", "Requests rate limit exceeded")] * 2
    faulty.fake.default = faulty.stream(GOOD_NOTES)
    faulty.app.run()
    dialog = faulty.app.review(1)
    assert "highest tides on Earth." in dialog.researchView.toPlainText()
    assert len(faulty.fake.requests) == 3
    retries = [line for line in faulty.app.progress() if "rate-limiting" in line and "Retrying" in line]
    assert len(retries) == 2, faulty.app.progress()


def test_429_forever_gives_up_after_four_tries_and_says_so(faulty: Faulty) -> None:
    faulty.fake.default = faulty.error(429, "Throttling", "Requests rate limit exceeded")
    faulty.app.run()
    problem = faulty.app.problem()
    assert "rate-limiting" in problem and "Tried 4 times" in problem and "quota" in problem
    assert len(faulty.fake.requests) == 4


def test_500_once_is_retried_and_the_run_goes_on(faulty: Faulty) -> None:
    faulty.fake.replies = [faulty.error(500, "InternalError", "oops")]
    faulty.fake.default = faulty.stream(GOOD_NOTES)
    faulty.app.run()
    faulty.app.review(1)
    assert len(faulty.fake.requests) == 2


def test_503_forever_gives_up_after_four_tries(faulty: Faulty) -> None:
    faulty.fake.default = faulty.error(503, "ServiceUnavailable", "overloaded")
    faulty.app.run()
    problem = faulty.app.problem()
    assert "server error (HTTP 503)" in problem and "Tried 4 times" in problem
    assert len(faulty.fake.requests) == 4
    faulty.good()
    faulty.app.retry()
    faulty.app.review(1)


# ----- the server is not there, or says nothing -------------------------------------------------


def test_refused_connection_names_the_address(faulty: Faulty, closed_port: int) -> None:
    api = "/api/v1" if faulty.name == "dashscope" else "/v1"
    faulty.point_at(f"http://127.0.0.1:{closed_port}{api}")
    faulty.app.run()
    problem = faulty.app.problem()
    assert "Cannot reach" in problem and f"127.0.0.1:{closed_port}" in problem
    assert "Tried 4 times" in problem


def test_hung_server_times_out_with_the_configured_limit(faulty: Faulty) -> None:
    faulty.fake.default = faulty.stream(["too late"], delay_s=30)
    faulty.app.run()
    problem = faulty.app.problem(timeout_ms=30_000)
    assert "did not answer within 5 seconds" in problem and "raise the timeout" in problem


def test_empty_reply_is_said_plainly(faulty: Faulty) -> None:
    faulty.fake.default = faulty.stream([])
    faulty.app.run()
    assert "returned an empty reply" in faulty.app.problem()


def test_stream_cut_mid_report_keeps_the_text_so_far(faulty: Faulty) -> None:
    faulty.fake.replies = [faulty.stream(GOOD_NOTES), faulty.stream(GOOD_REPORT, cut_after=2)]
    faulty.app.run()
    faulty.app.approve(1)
    problem = faulty.app.problem()
    assert "broke off" in problem and "Retry" in problem
    assert "Tides in the bay" in faulty.app.window.reportView.toPlainText()
    faulty.fake.default = faulty.stream(GOOD_REPORT)
    faulty.app.retry()
    assert "reach sixteen metres." in faulty.app.report()


# ----- the server answers with something that is not a reply (new rows) -----------------------


def _is_survived(faulty: Faulty, *words: str) -> None:
    """The fault, said in a sentence; retried like any server error; then Retry goes on."""
    faulty.app.run()
    problem = faulty.app.problem()
    for word in words:
        assert word in problem, problem
    assert "unexpectedly" not in problem
    assert "Tried 4 times" in problem and len(faulty.fake.requests) == 4
    faulty.good()
    faulty.app.retry()
    faulty.app.review(1)


def test_proxy_html_502_page_is_not_a_valid_reply_and_is_retried(faulty: Faulty) -> None:
    faulty.fake.default = faulty.wire.HTML_502
    _is_survived(faulty, "sent something that is not a valid reply", "a web page", "HTTP 502")


def test_malformed_json_in_the_stream_is_not_a_valid_reply(faulty: Faulty) -> None:
    faulty.fake.default = faulty.wire.garbage(b'{"output": {"choices": [')
    _is_survived(faulty, "sent something that is not a valid reply", "not valid JSON")


def test_bytes_that_are_not_utf8_are_not_a_valid_reply(faulty: Faulty) -> None:
    faulty.fake.default = faulty.wire.garbage(b'{"x": "\xff\xfe\x80"}')
    _is_survived(faulty, "sent something that is not a valid reply", "not UTF-8")


def test_connection_dropped_before_any_reply_is_retried(faulty: Faulty) -> None:
    faulty.fake.default = faulty.wire.Drop()
    _is_survived(faulty, "closed the connection without replying")


def test_garbage_after_some_report_text_keeps_that_text(faulty: Faulty) -> None:
    faulty.fake.replies = [faulty.stream(GOOD_NOTES),
                           faulty.stream(GOOD_REPORT, cut_after=2, garbage=b'{"choices": [{')]
    faulty.app.run()
    faulty.app.approve(1)
    problem = faulty.app.problem()
    assert "not a valid reply" in problem and "broke off after" in problem
    assert "Tides in the bay" in faulty.app.window.reportView.toPlainText()
    assert len(faulty.fake.requests) == 2  # text was shown: retrying by itself would repeat it
