"""The code runners grading submissions: the local sandbox (``local``), a Judge0 server
(``judge0``), and the engine choosing between them (``engine``)."""
