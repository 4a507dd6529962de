def home(request):
    pass


def healthz(request):
    pass
