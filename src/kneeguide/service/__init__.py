"""The kneeguide HTTP service (``kneeguide serve``): REST for apps, CDS Hooks for EHRs.

Needs the ``serve`` extra (Starlette, uvicorn, httpx).  Nothing is imported
here, so ``import kneeguide`` and the other commands never load a web stack.
See docs/service.md.
"""
