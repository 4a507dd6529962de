"""Access rules shared by every admin view: deny by default, then one permission per view."""

from functools import wraps

from django.core.exceptions import PermissionDenied


def staff_permission_required(*permissions: str):
    """Admin pages are for staff with the named permissions; anyone else gets 403.

    Anonymous visitors never get this far: LoginRequiredMiddleware sends them to log in.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff and user.has_perms(permissions)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
