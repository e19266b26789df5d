"""The HTTP edge of the mesh: REST/JSON and SSE transcoded from the contracts, plus the compatible APIs."""
