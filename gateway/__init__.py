"""The HTTP edge of the mesh: health, readiness and metrics for now; REST/SSE transcoding comes later."""
