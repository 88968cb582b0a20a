from .runner import launch


def main():
    launch()


main()  # expect: CCL303
