import thirdparty

thirdparty.run_all()
