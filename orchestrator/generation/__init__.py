"""Running assistant turns: prompt assembly, the model call, the tool loop, queueing and cancellation."""
