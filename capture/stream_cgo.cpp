// OpenCV's open-time parameters, which gocv v0.31 cannot pass: the FFmpeg
// backend's open and read timeouts (CAP_PROP_OPEN_TIMEOUT_MSEC,
// CAP_PROP_READ_TIMEOUT_MSEC, OpenCV 4.5.3+). Without them a network
// stream that accepts the connection and then sends nothing blocks an
// open or a read for OpenCV's default of 30 s.
#include <vector>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include "stream_cgo.h"

void* ferlive_stream_open(const char* uri, int api, int open_ms, int read_ms) {
	try {
		std::vector<int> params{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, open_ms, cv::CAP_PROP_READ_TIMEOUT_MSEC, read_ms};
		cv::VideoCapture* vc = new cv::VideoCapture();
		if (!vc->open(uri, api, params) || !vc->isOpened()) {
			delete vc;
			return nullptr;
		}
		return vc;
	} catch (...) {
		return nullptr;
	}
}

int ferlive_stream_read(void* vc, void* mat) {
	try {
		return static_cast<cv::VideoCapture*>(vc)->read(*static_cast<cv::Mat*>(mat)) ? 1 : 0;
	} catch (...) {
		return 0;
	}
}

double ferlive_stream_get(void* vc, int prop) {
	try {
		return static_cast<cv::VideoCapture*>(vc)->get(prop);
	} catch (...) {
		return 0;
	}
}

void ferlive_stream_close(void* vc) {
	delete static_cast<cv::VideoCapture*>(vc);
}
