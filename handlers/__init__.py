"""The Telegram front end of awarebot (python-telegram-bot).

`app.build_application(config, live)` wires everything; `app.run_bot(config)` runs it. One module per feature,
each with `register(app)`, listed in `app.FEATURES`: forget, moderation, feedback (votes), conversation (start,
help, hotline, privacy, questions), topics, region, inline, fallback (what the others leave), errors (the one
error handler). Plumbing: deps (typed dependencies), render (Reply → Bot API), request (retries), logprivacy
(no message text in any log record).
"""
